// The cloneVoice request the benchmarks send: the mutation's text and its
// default input. The benches own them, as any client owns its operations, so
// that they depend on nothing in test/. Both are what the benches took from the
// tests' CloneVoice operation (test/support/operations.graphql) until then,
// unchanged, so a run still does the work earlier runs in BENCHMARKS.md did.

export const CLONE_VOICE = `mutation CloneVoice($input: CloneVoiceInput!) {
  cloneVoice(input: $input) {
    attemptId
    replayed
    voice {
      ...VoiceFields
    }
  }
}

fragment VoiceFields on Voice {
  id
  voiceId
  name
  description
  gender
  age
  languages
  dialects
  type
  sampleUrl
  avatarUrl
  stability
  model
  tags
  createdAt
  updatedAt
  archivedAt
}`;

/** The input fields every benchmark clone carries (the files are added by each bench). */
export const defaultCloneInput = (): Record<string, unknown> => ({
  text: "مرحبا بكم في فصيح",
  stability: 0.5,
  name: "Layla",
  model: "faseeh-v1",
});
