/** The experiment's settings: one seed drives the split, the initial weights and every batch order. */
import { DEFAULT_METHODS, type MethodSpec } from "./recipes.js";
import type { SplitFractions } from "./split.js";
import type { TrainSettings } from "./train.js";

export interface QualityConfig {
  seed: number;
  /** Class-stratified shares of the 10,000 digits. */
  fractions: SplitFractions;
  /** Domain names (see domains.ts), one task each. */
  tasks: string[];
  /** Domains of the pre-training digits; none may be a task's. */
  pretrainDomains: string[];
  /** Encoder layer sizes, input first (the input is a 14×14 pooled digit). */
  encoderSizes: number[];
  pretrain: TrainSettings;
  finetune: TrainSettings;
  methods: MethodSpec[];
}

export const DEFAULT_CONFIG: QualityConfig = {
  seed: 20240607,
  // The pre-training pool is its own digits: the fine-tunes see digits the base never saw.
  fractions: { pretrain: 0.2, finetune: 0.5, validation: 0.1, test: 0.2 },
  tasks: ["upright", "rotated", "inverted", "mirrored"],
  // Digits, but only in symmetries of the square that no task uses: a generic digit encoder that
  // must be specialised for each task, as CLIP must be for MNIST or EuroSAT.
  pretrainDomains: ["rotated180", "rotated270", "transposed", "antitransposed"],
  encoderSizes: [196, 256, 128, 64],
  pretrain: { epochs: 5, batchSize: 64, optimizer: { kind: "adam", learningRate: 1e-3 } },
  finetune: { epochs: 4, batchSize: 64, optimizer: { kind: "momentum", learningRate: 0.02, momentum: 0.9 } },
  methods: [...DEFAULT_METHODS],
};

/** A smoke run: one epoch of pre-training and of each fine-tune, a 2-point grid per method, 8 CMA-ES candidates. */
export function quickConfig(base: QualityConfig = DEFAULT_CONFIG): QualityConfig {
  return {
    ...base,
    pretrain: { ...base.pretrain, epochs: 1 },
    finetune: { ...base.finetune, epochs: 1 },
    methods: base.methods.map((m) => ({
      ...m,
      grid: Object.fromEntries(Object.entries(m.grid).map(([k, v]) => [k, k === "lambda" ? [0.3, 1.0] : v.slice(1, 2)])),
      ...(m.evolve ? { evolve: { ...m.evolve, budget: 8 } } : {}),
    })),
  };
}
