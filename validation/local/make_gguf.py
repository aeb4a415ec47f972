#!/usr/bin/env python3
"""Write an F16 GGUF with SYNTHETIC (random) weights for an slmroof preset.

The tensor names, shapes and GGUF metadata follow what llama.cpp's own HF->GGUF
converter produces for the architecture (llama, qwen2, qwen3), so llama.cpp
loads the file, llama-quantize quantizes it exactly as it would a real
checkpoint, and llama-bench runs it at real speed.  Weight VALUES are random:
the file is for speed / size measurements only and generates garbage text.

Tokenizer: a synthetic SentencePiece-style ("llama" tokenizer model) vocab of
exactly `vocab_size` tokens: <unk>, <s>, </s>, the 256 byte tokens
<0x00>..<0xFF>, then "<t{i}>" filler tokens.  llama-bench never detokenizes,
and the vocab only has to match the embedding/output row count.

The GGUF container is written with the `gguf` Python package (gguf-py) that
ships inside llama.cpp's source tree; pass its directory with --gguf-py (it is
imported at run time, not copied).  Needs numpy (Debian: python3-numpy).

Usage:
  python3 make_gguf.py --gguf-py /tmp/llamacpp/src/gguf-py \
      --config configs/qwen2.5-0.5b.json --out qwen2.5-0.5b-F16.gguf
"""
import argparse
import json
import math
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="HF-style config.json (slmroof configs/*.json)")
    p.add_argument("--out", required=True, help="output .gguf path")
    p.add_argument("--gguf-py", required=True, help="directory that contains the gguf package (llama.cpp/gguf-py)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ctx", type=int, default=0, help="override context_length metadata (0 = config value)")
    return p.parse_args()


ARCH_BY_MODEL_TYPE = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}


def llama3_rope_factors(head_dim, theta, rs):
    """Per-frequency divisors for rope_type 'llama3' (stored as rope_freqs.weight)."""
    factor = float(rs.get("factor", 8.0))
    lo = float(rs.get("low_freq_factor", 1.0))
    hi = float(rs.get("high_freq_factor", 4.0))
    old_ctx = float(rs.get("original_max_position_embeddings", 8192))
    lo_wavelen = old_ctx / lo
    hi_wavelen = old_ctx / hi
    out = []
    for i in range(0, head_dim, 2):
        freq = 1.0 / (theta ** (i / head_dim))
        wavelen = 2.0 * math.pi / freq
        if wavelen < hi_wavelen:
            out.append(1.0)                      # high frequency: unchanged
        elif wavelen > lo_wavelen:
            out.append(factor)                   # low frequency: divided by factor
        else:                                    # smooth blend in between
            t = (old_ctx / wavelen - lo) / (hi - lo)
            out.append(1.0 / ((1.0 - t) / factor + t))
    return out


def main():
    a = parse_args()
    sys.path.insert(0, a.gguf_py)
    import numpy as np
    import gguf

    cfg = json.load(open(a.config))
    mt = cfg["model_type"]
    if mt not in ARCH_BY_MODEL_TYPE:
        sys.exit(f"unsupported model_type {mt!r} (supported: {sorted(ARCH_BY_MODEL_TYPE)})")
    arch = ARCH_BY_MODEL_TYPE[mt]
    name = cfg.get("_slmroof", {}).get("preset", mt)

    n_embd = cfg["hidden_size"]
    n_layer = cfg["num_hidden_layers"]
    n_head = cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads", n_head)
    n_ff = cfg["intermediate_size"]
    n_vocab = cfg["vocab_size"]
    head_dim = cfg.get("head_dim") or n_embd // n_head
    tied = bool(cfg.get("tie_word_embeddings", False))
    theta = float(cfg.get("rope_theta", 10000.0))
    eps = float(cfg.get("rms_norm_eps", 1e-6))
    ctx = a.ctx or int(cfg.get("max_position_embeddings", 4096))
    qkv_bias = (arch == "qwen2") or bool(cfg.get("attention_bias", False))
    qk_norm = arch == "qwen3"

    w = gguf.GGUFWriter(a.out, arch)
    w.add_name(f"{name} (synthetic random weights, slmroof)")
    w.add_file_type(int(gguf.LlamaFileType.MOSTLY_F16))
    w.add_context_length(ctx)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_layer_norm_rms_eps(eps)
    w.add_rope_freq_base(theta)
    if arch == "llama":
        w.add_vocab_size(n_vocab)
        w.add_rope_dimension_count(head_dim)
    if head_dim != n_embd // n_head:
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)

    # synthetic SPM vocab of exactly n_vocab tokens
    tokens, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [
        int(gguf.TokenType.UNKNOWN), int(gguf.TokenType.CONTROL), int(gguf.TokenType.CONTROL)]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>"); scores.append(0.0); types.append(int(gguf.TokenType.BYTE))
    i = 0
    while len(tokens) < n_vocab:
        tokens.append(f"<t{i}>"); scores.append(-float(i)); types.append(int(gguf.TokenType.NORMAL)); i += 1
    assert len(tokens) == n_vocab, "vocab_size smaller than 259 special+byte tokens"
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    rng = np.random.default_rng(a.seed)
    n_params = 0

    def mat(rows, cols, std=0.02):
        # numpy shape (rows, cols) == GGUF ne = [cols, rows]
        return (rng.standard_normal((rows, cols), dtype=np.float32) * std).astype(np.float16)

    def vec(n, val=None):
        if val is None:
            return (rng.standard_normal(n, dtype=np.float32) * 0.02).astype(np.float32)
        return np.full(n, val, dtype=np.float32)

    def add(tname, arr):
        nonlocal n_params
        n_params += arr.size
        w.add_tensor(tname, arr)

    t0 = time.time()
    add("token_embd.weight", mat(n_vocab, n_embd))
    add("output_norm.weight", vec(n_embd, 1.0))
    if not tied:
        add("output.weight", mat(n_vocab, n_embd))
    rs = cfg.get("rope_scaling") or {}
    if arch == "llama" and rs.get("rope_type", rs.get("type")) == "llama3":
        add("rope_freqs.weight", np.array(llama3_rope_factors(head_dim, theta, rs), dtype=np.float32))
    q_dim, kv_dim = n_head * head_dim, n_kv * head_dim
    for L in range(n_layer):
        p = f"blk.{L}."
        add(p + "attn_norm.weight", vec(n_embd, 1.0))
        add(p + "attn_q.weight", mat(q_dim, n_embd))
        add(p + "attn_k.weight", mat(kv_dim, n_embd))
        add(p + "attn_v.weight", mat(kv_dim, n_embd))
        if qkv_bias:
            add(p + "attn_q.bias", vec(q_dim))
            add(p + "attn_k.bias", vec(kv_dim))
            add(p + "attn_v.bias", vec(kv_dim))
        if qk_norm:
            add(p + "attn_q_norm.weight", vec(head_dim, 1.0))
            add(p + "attn_k_norm.weight", vec(head_dim, 1.0))
        add(p + "attn_output.weight", mat(n_embd, q_dim))
        add(p + "ffn_norm.weight", vec(n_embd, 1.0))
        add(p + "ffn_gate.weight", mat(n_ff, n_embd))
        add(p + "ffn_up.weight", mat(n_ff, n_embd))
        add(p + "ffn_down.weight", mat(n_embd, n_ff))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{a.out}: arch={arch} n_params={n_params} tied={tied} head_dim={head_dim} "
          f"vocab={n_vocab} ({time.time() - t0:.1f}s)")


if __name__ == "__main__":
    main()
