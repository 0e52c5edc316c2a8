// Whether the gateway still takes new work: set once by the "refuse new work"
// shutdown step (app.ts), read by the readiness probe and the GraphQL route.
export interface ServingState {
  stopping: boolean;
}
