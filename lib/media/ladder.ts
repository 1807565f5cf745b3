// HLS rendition ladder as PeerTube derives it (docs/peertube-runner-protocol.md §9): the input's own
// resolution (its smaller side) plus every standard resolution below it — never an upscale.
export const PEERTUBE_LADDER = [2160, 1440, 1080, 720, 480, 360, 240, 144] as const;

/** PeerTube's "resolution" of a frame: the smaller side (portrait videos too). */
export function resolutionOf(width: number, height: number): number {
  return Math.min(width, height);
}

/** Renditions for an input of `inputResolution`, highest first. */
export function ladderFor(inputResolution: number): number[] {
  const top = inputResolution - (inputResolution % 2);
  const out = [top, ...PEERTUBE_LADDER.filter((r) => r < top)];
  return [...new Set(out)].filter((r) => r >= 2);
}

/** Explicit resolutions, highest first, keeping only those not above the input (unless enlarging is allowed). */
export function requestedLadder(
  requested: readonly number[],
  inputResolution: number,
  allowEnlarge: boolean,
): { kept: number[]; dropped: number[] } {
  const sorted = [...new Set(requested)].sort((a, b) => b - a);
  if (allowEnlarge) return { kept: sorted, dropped: [] };
  return { kept: sorted.filter((r) => r <= inputResolution), dropped: sorted.filter((r) => r > inputResolution) };
}

/** Frame size of a rendition: the smaller side becomes `resolution`, the other keeps the ratio (even). */
export function renditionFrame(
  resolution: number,
  input: { width: number; height: number } | undefined,
): { width: number; height: number } {
  const ratio = input ? input.width / input.height : 16 / 9;
  const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));
  return ratio >= 1 ? { width: even(resolution * ratio), height: resolution } : { width: resolution, height: even(resolution / ratio) };
}

/** PeerTube-like fps cap: at most 30 fps below 720p, 60 above; never more than the input. */
export function renditionFps(resolution: number, inputFps: number | undefined, requested?: number): number {
  if (requested) return requested;
  const cap = resolution >= 720 ? 60 : 30;
  const fps = inputFps && inputFps > 0 ? Math.min(inputFps, cap) : 30;
  return Math.round(fps * 1000) / 1000;
}
