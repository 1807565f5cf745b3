import { parseProgressLine, percentOf, StepProgress, timemarkToSeconds } from '../../../runner/progress.js';

describe('ffmpeg progress parsing', () => {
  test('timemarks', () => {
    expect(timemarkToSeconds('00:01:02.50')).toBe(62.5);
    expect(timemarkToSeconds('01:00:00.00')).toBe(3600);
    expect(timemarkToSeconds('02:03')).toBe(123);
    expect(timemarkToSeconds('7.25')).toBe(7.25);
    expect(timemarkToSeconds('-00:00:00.04')).toBe(0);
    expect(timemarkToSeconds('N/A')).toBeUndefined();
  });

  test('status lines', () => {
    expect(parseProgressLine('frame=  120 fps= 60 q=28.0 size=     256kB time=00:00:04.80 bitrate= 436.9kbits/s speed=2.4x')).toBeCloseTo(
      4.8,
    );
    expect(parseProgressLine('size=     512kB time=00:01:00.00 bitrate=  69.9kbits/s speed= 120x')).toBe(60);
    expect(parseProgressLine('frame=    0 fps=0.0 q=0.0 size=       0kB time=N/A bitrate=N/A speed=N/A')).toBeUndefined();
    expect(parseProgressLine('  Duration: 00:00:03.00, start: 0.000000, bitrate: 842 kb/s')).toBeUndefined();
    expect(parseProgressLine('Stream mapping:')).toBeUndefined();
  });

  test('percentages', () => {
    expect(percentOf(1.5, 3)).toBe(50);
    expect(percentOf(3.2, 3)).toBe(100);
    expect(percentOf(-1, 3)).toBe(0);
    expect(percentOf(1, undefined)).toBeUndefined();
    expect(percentOf(1, 0)).toBeUndefined();
  });

  test('steps combine into one monotonic percentage', () => {
    const seen: number[] = [];
    const s = new StepProgress((p) => seen.push(p));
    s.step(0, 4, 50); // 12
    s.step(0, 4, 100); // 25
    s.step(1, 4, 0); // 25: no change
    s.step(1, 4, 40); // 35
    s.step(0, 4, 10); // going back is ignored
    s.step(3, 4, 100); // 100
    expect(seen).toEqual([12, 25, 35, 100]);
    expect(s.value).toBe(100);
  });
});
