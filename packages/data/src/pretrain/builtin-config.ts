/**
 * The built-in base model's architecture as a Hugging Face GPT-2 config.json.
 * GPT-2 proper is pre-LN (ln_1 before attention, ln_2 before the MLP, ln_f at
 * the end), GELU-tanh, tied input/output embeddings: transformers loads it as is.
 */
import { BUILTIN_VOCAB_SIZE } from '../tokenizer/builtin-tokenizer.js';

export interface BuiltinModelSize {
  dModel: number;
  numLayers: number;
  numHeads: number;
  /** Positions the model is trained on (packed chunk length) and can read. */
  seqLen: number;
}

/**
 * d 192, 4 layers, 4 heads, seq 128, vocab 4,096: 2.6 M parameters, 10.4 MB as
 * F32 safetensors. Chosen by measuring ms/step on these 2-core machines under
 * the shared load (`scripts/pretrain.ts --probe`; see builtin-model/README.md):
 * d 256 cost 1.3–2.2x more per step, too much for a 30-minute budget.
 */
export const BUILTIN_MODEL_SIZE: BuiltinModelSize = { dModel: 192, numLayers: 4, numHeads: 4, seqLen: 128 };

/** config.json of the built-in model. Dropout 0: a few epochs at most on 4 M tokens, and dropout costs ops on CPU. */
export function builtinHfConfig(size: BuiltinModelSize = BUILTIN_MODEL_SIZE): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: BUILTIN_VOCAB_SIZE,
    n_positions: size.seqLen,
    n_embd: size.dModel,
    n_layer: size.numLayers,
    n_head: size.numHeads,
    n_inner: 4 * size.dModel,
    activation_function: 'gelu_new',
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    // <|endoftext|> = 0, <|pad|> = 1 in the built-in tokenizer.
    bos_token_id: 0,
    eos_token_id: 0,
    pad_token_id: 1,
    scale_attn_weights: true,
    tie_word_embeddings: true,
  };
}
