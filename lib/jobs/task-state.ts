// Moved to lib/peertube/task-state.ts (the home of the runner protocol); kept for importers not yet
// switched (operator/**). Import from lib/peertube/task-state.js in new code.
export * from '../peertube/task-state.js';
