// Moved to lib/peertube/job-types.ts (the home of the runner protocol); kept for importers not yet
// switched (operator/job/*). Import from lib/peertube/job-types.js in new code.
export * from '../peertube/job-types.js';
