#!/usr/bin/env python3
"""Writes the small hand-made seeds of the fuzz corpora (standard library only).
The tokenizer seeds are copies of the test data; the session, run.json and
layer seeds come from real runs of the CLI (see README.md in this folder)."""
import json, pathlib, struct

here = pathlib.Path(__file__).parent / "corpus"

def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata: header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data

f32 = lambda n: struct.pack("<%df" % n, *[0.5 * i for i in range(n)])
(here / "safetensors/two.safetensors").write_bytes(safetensors(
    {"a": ("F32", [2, 3], f32(6)), "b": ("F16", [4], b"\x00\x3c" * 4), "s": ("BF16", [], b"\x80\x3f")}, {"format": "pt"}))
(here / "safetensors/empty.safetensors").write_bytes(safetensors({"z": ("F32", [0, 4], b"")}))

config = {"model_type": "llama", "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
          "num_attention_heads": 2, "num_key_value_heads": 2, "vocab_size": 16, "max_position_embeddings": 32,
          "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "torch_dtype": "float32", "bos_token_id": 1, "eos_token_id": 2}
(here / "configjson/tiny.json").write_text(json.dumps(config, indent=2))
llama3 = dict(config, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
              "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}, tie_word_embeddings=True,
              torch_dtype="bfloat16", head_dim=4)
(here / "configjson/llama3.json").write_text(json.dumps(llama3, indent=2))
(here / "configjson/mistral.json").write_text(json.dumps(dict(config, model_type="mistral", sliding_window=None)))

layer = ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
         "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
first = ["model.embed_tokens.weight"] + ["model.layers.0.%s.weight" % m for m in layer]
weight_map = {n: "model-00001-of-00002.safetensors" for n in first}
weight_map.update({n: "model-00002-of-00002.safetensors" for n in ["model.norm.weight", "lm_head.weight"]})
(here / "shardedindex/index.json").write_text(json.dumps({"metadata": {"total_size": 2048}, "weight_map": weight_map}, indent=2))

# llama2.c: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative: separate classifier), seq_len.
dim, hidden, layers, heads, kv, vocab, seq = 8, 16, 1, 2, 2, 16, 8
head = dim // heads
counts = [vocab * dim, layers * dim, layers * dim * dim, layers * dim * kv * head, layers * dim * kv * head,
          layers * dim * dim, layers * dim, layers * dim * hidden, layers * hidden * dim, layers * dim * hidden,
          dim, seq * head // 2, seq * head // 2]
body = b"".join(f32(n) for n in counts)
(here / "llama2ccheckpoint/tiny-shared.bin").write_bytes(struct.pack("<7i", dim, hidden, layers, heads, kv, vocab, seq) + body)
(here / "llama2ccheckpoint/tiny-separate.bin").write_bytes(
    struct.pack("<7i", dim, hidden, layers, heads, kv, -vocab, seq) + body + f32(vocab * dim))

recipe = {"calibration": {"nsamples": 2, "seqlen": 32, "seed": 3}, "eval_ppl": True, "limit": 2,
          "defaults": {"wbits": 4, "abits": 4},
          "runs": [{"name": "rtn", "method": "rtn"}, {"name": "duq", "method": "duquant", "block_size": 4, "rotation_seed": 2},
                   {"method": "smoothquant", "alpha": 0.5, "save_dir": "runs/sq", "resume": False}]}
(here / "recipe/mixed.json").write_text(json.dumps(recipe, indent=2))
