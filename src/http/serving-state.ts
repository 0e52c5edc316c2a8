// Whether the gateway still takes new work: set once by `stop()`, read by the
// readiness probe and the GraphQL route.
export interface ServingState {
  stopping: boolean;
}
