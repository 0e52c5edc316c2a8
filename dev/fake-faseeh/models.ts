// Faseeh's model list as the fake answers GET /models: the shape of one model
// and the list a fresh fake (and every reset()) serves.

/** One element of the GET /models answer, field for field. */
export interface FakeModel {
  /** Record id (uuid). */
  id: string;
  /** What API calls name: the clone's `model`, the preview's `model_id`. */
  model_id: string;
  model_name: string;
  /** Cost per character of text-to-speech. */
  cost: number;
  description: string | null;
}

/** What GET /models lists until setModels(...) (and again after reset()). */
export const DEFAULT_FAKE_MODELS: readonly FakeModel[] = Object.freeze(
  [
    {
      id: "3f1c2a9e-5b7d-4e21-9a0c-6d8e1f2b3c41",
      model_id: "faseeh-v1",
      model_name: "Faseeh v1",
      cost: 0.00003,
      description: "General-purpose Arabic voice model",
    },
    {
      id: "8a4d6e2b-1c3f-4b5a-8e7d-2f9c0b1a6d52",
      model_id: "faseeh-v1-pro",
      model_name: "Faseeh v1 Pro",
      cost: 0.00006,
      description: "Higher-fidelity v1 for long-form narration",
    },
    {
      id: "c7e9b1d3-4f6a-4c8e-b2d0-9e1f3a5c7b63",
      model_id: "faseeh-v2",
      model_name: "Faseeh v2",
      cost: 0.00005,
      description: "Second generation, closer voice similarity",
    },
    {
      id: "e2b4d6f8-0a1c-4e3b-9d5f-7a9c1e3b5d74",
      model_id: "faseeh-mini",
      model_name: "Faseeh Mini",
      cost: 0.00001,
      description: null,
    },
  ].map((model): FakeModel => Object.freeze(model)),
);
