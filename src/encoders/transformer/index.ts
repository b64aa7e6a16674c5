/** Transformer (transformers.js / ONNX) text encoders: sentence embeddings and cross-encoder scoring. */
export {
  createTransformerEncoder,
  TRANSFORMER_ENCODER_DEFAULTS,
  type TransformerEncoder,
  type TransformerEncoderOptions,
} from './sentence-encoder.ts';
export {
  createCrossEncoder,
  logitsToScore,
  CROSS_ENCODER_DEFAULTS,
  type CrossEncoder,
  type CrossEncoderActivation,
  type CrossEncoderOptions,
} from './cross-encoder.ts';
export { poolRow, type Pooling } from './pooling.ts';
export { importTransformers, resolveModelLocation, type ModelDtype, type ModelLocation } from './runtime.ts';
