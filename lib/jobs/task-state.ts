// Moved to lib/peertube/task-state.ts (the home of the runner protocol). Left only for
// operator/sqs/commands.ts, owned by another change while the rest was switched; delete this file
// once it imports lib/peertube/task-state.js.
export * from '../peertube/task-state.js';
