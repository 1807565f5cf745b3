// Moved to lib/peertube/job-types.ts (the home of the runner protocol). Left only for
// operator/job/outputs/hls.ts, operator/job/outputs/video.ts and runner/input.ts, owned by other
// changes while the rest was switched; delete this file once they import lib/peertube/job-types.js.
export * from '../peertube/job-types.js';
