// The cloneVoice request the benchmarks send: the mutation's text and its
// default input. The benches own them, as any client owns its operations, so
// that they depend on nothing in test/. The mutation selects what the benches
// read (the voiceId); until the benches stopped borrowing the tests' CloneVoice
// operation it selected every field of the voice. Those fields come with the
// row the clone stores either way, so what the benches measure (the upload,
// Faseeh's call, the insert) is what the earlier runs in BENCHMARKS.md
// measured; only the answer is shorter.

export const CLONE_VOICE = `mutation CloneVoice($input: CloneVoiceInput!) { cloneVoice(input: $input) { attemptId voice { id voiceId } } }`;

/** The input fields every benchmark clone carries (each bench adds the files). */
export const defaultCloneInput = (): Record<string, unknown> => ({
  text: "مرحبا بكم في فصيح",
  stability: 0.5,
  name: "Layla",
  model: "faseeh-v1",
});
