"""PyTorch peers for the methods ../shared/bench has no peer for, written from the papers' formulas.

Each streams tensor by tensor (lazy reads, one output tensor at a time, as mergekit does), merges in
float32 on the CPU and writes bf16 safetensors shards. The global scopes flatten the whole model as
the papers' code does (all task vectors in memory at once).

usage: /usr/bin/python3 torch_merge.py SHARED_BENCH_DIR MODELS_DIR OUT METHOD [threads]
METHOD: ties | ties-global | pcb | pcb-global | dare-ties | della | breadcrumbs | slerp | model-stock
Parameters (the bench's recipes use the same): TIES density 0.2; PCB ratio 0.1, clip 1e-4; DARE-TIES
density 0.5 (sign sum, normalised disjoint mean); DELLA density 0.5, epsilon 0.15; breadcrumbs
density 0.9, gamma 0.01; SLERP t 0.5 of task0 and task1; Model Stock of every task over the base.
"""
import os
import sys
import time

import torch

torch.set_grad_enabled(False)
SHARD_BYTES = 1_000_000_000


def kth_largest(a, k):
    """The k-th largest of a flat tensor (one kthvalue selection)."""
    return a.kthvalue(a.numel() - k + 1).values


def trim(d, density):
    """TIES's trim: keep |δ| at least the k-th largest magnitude, k = floor(d·density)."""
    n = d.numel()
    k = int(n * density)
    if k >= n:
        return d
    if k <= 0:
        return torch.zeros_like(d)
    a = d.abs()
    return d * (a >= kth_largest(a.view(-1), k))


def elect_merge(deltas, normalize=True):
    """Sign election γ = sign(Σ δᵢ) (0 → +1) and the (normalised) disjoint mean of the agreeing δᵢ."""
    sign = (deltas.sum(0) >= 0).float() * 2 - 1
    agree = (deltas * sign > 0).float()
    num = (deltas * agree).sum(0)
    return num / agree.sum(0).clamp(min=1) if normalize else num


def order_stat(x, q):
    """The element of ascending rank int(d·q) of a flat tensor, as the PCB code's sorted_x[int(d·q)]."""
    d = x.numel()
    i = min(d - 1, max(0, int(d * q)))
    return x.kthvalue(i + 1).values


def pcb_clip(a):
    return order_stat(a, 1e-4), order_stat(a, 1 - 1e-4 - 1 / a.numel())


def minmax(x, lo, hi):
    r = hi - lo
    return (x - lo) / r if r > 0 else torch.zeros_like(x)


def pcb_merge(deltas, clips=None, drops=None):
    """PCB-Merging on task vectors [n, d]: intra (exp(n·norm(|δ|)²)) and inter (tanh(δ·Σδ)) balancing,
    drop below the (1 − ratio) quantile, min-max scale, weighted mean. clips/drops: global bounds."""
    n = deltas.shape[0]
    a = deltas.abs()
    rows = []
    for i in range(n):
        lo, hi = clips[i] if clips else pcb_clip(a[i])
        rows.append(a[i].clamp(lo, hi))
    a = torch.stack(rows)
    clipped = deltas.sign() * a
    intra = torch.exp(n * torch.stack([minmax(a[i], a[i].min(), a[i].max()) for i in range(n)]) ** 2)
    beta = intra * torch.tanh(deltas * deltas.sum(0))
    scales = []
    for i in range(n):
        lo, mx = drops[i] if drops else (order_stat(beta[i], 0.9), beta[i].max())
        scales.append(minmax(beta[i].clamp(min=lo), lo, mx))
    scale = torch.stack(scales)
    return (clipped * scale).sum(0) / scale.sum(0).clamp(min=1e-12)


def dare(d, density, g):
    return d * (torch.rand(d.shape, generator=g) < density) / density


def della(d, density, epsilon, g):
    """MAGPRUNE: per row, keep probability linear in the magnitude rank from density − ε/2 to density + ε/2."""
    rows = d.view(1, -1) if d.dim() == 1 else d.view(d.shape[0], -1)
    cols = rows.shape[1]
    ranks = torch.argsort(torch.argsort(rows.abs(), dim=1), dim=1).float()
    p = (density - epsilon / 2 + epsilon * ranks / max(cols - 1, 1)).clamp(0, 1)
    keep = torch.rand(rows.shape, generator=g) < p
    return (rows * keep / p.clamp(min=1e-12)).view(d.shape)


def breadcrumbs(d, density, gamma):
    n = d.numel()
    k, t = int(n * density), int(n * gamma)
    t = min(t, n - k)
    a = d.abs().view(-1)
    low = a.kthvalue(n - k - t + 1).values if n - k - t < n else a.max()
    high = a.kthvalue(n - t + 1).values if t > 0 else torch.tensor(float("inf"))
    return d * ((d.abs() >= low) & (d.abs() < high))


def slerp(a, b, t=0.5):
    cos = (a * b).sum() / (a.norm() * b.norm()).clamp(min=1e-30)
    if cos.abs() > 0.9995:
        return (1 - t) * a + t * b
    theta = torch.acos(cos)
    s = torch.sin(theta)
    return torch.sin((1 - t) * theta) / s * a + torch.sin(t * theta) / s * b


def model_stock(models, base):
    deltas = [m - base for m in models]
    n = len(deltas)
    cos = []
    for i in range(n):
        for j in range(i + 1, n):
            norms = deltas[i].norm() * deltas[j].norm()
            cos.append(float((deltas[i] * deltas[j]).sum() / norms) if norms > 0 else 0.0)
    c = sum(cos) / len(cos)
    t = n * c / (1 + (n - 1) * c)
    return t * torch.stack(models).mean(0) + (1 - t) * base


def global_bounds(base, fts, method):
    """The whole-model statistics of the global scopes, from every task vector flattened at once."""
    flat = torch.stack([torch.cat([(f.get(k).float() - base.get(k).float()).view(-1) for k in base.keys()]) for f in fts])
    n = flat.shape[0]
    if method == "ties-global":
        k = int(flat.shape[1] * 0.2)
        return [kth_largest(flat[i].abs(), k) for i in range(n)]
    a = flat.abs()
    clips = [pcb_clip(a[i]) for i in range(n)]
    a = torch.stack([a[i].clamp(*clips[i]) for i in range(n)])
    intra = torch.exp(n * torch.stack([minmax(a[i], a[i].min(), a[i].max()) for i in range(n)]) ** 2)
    del a
    beta = intra * torch.tanh(flat * flat.sum(0))
    drops = [(order_stat(beta[i], 0.9), beta[i].max()) for i in range(n)]
    return clips, drops


def main(shared, models, out, method, threads=None):
    sys.path.insert(0, shared)
    import st  # noqa: E402  (../shared/bench's safetensors reader and writer)

    if threads:
        torch.set_num_threads(int(threads))
    names = sorted(n for n in os.listdir(models) if n.startswith("task"))
    base = st.LazyDir(os.path.join(models, "base"))
    fts = [st.LazyDir(os.path.join(models, n)) for n in names]
    t0 = time.time()
    bounds = global_bounds(base, fts, method) if method.endswith("-global") else None
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    shard, size, idx = {}, 0, 0
    for key in base.keys():
        b = base.get(key).float()
        ms = [f.get(key).float() for f in fts]
        if method == "ties":
            merged = b + elect_merge(torch.stack([trim(m - b, 0.2) for m in ms]))
        elif method == "ties-global":
            merged = b + elect_merge(torch.stack([(m - b) * ((m - b).abs() >= bounds[i]) for i, m in enumerate(ms)]))
        elif method == "pcb":
            merged = b + pcb_merge(torch.stack([(m - b).view(-1) for m in ms])).view(b.shape)
        elif method == "pcb-global":
            merged = b + pcb_merge(torch.stack([(m - b).view(-1) for m in ms]), *bounds).view(b.shape)
        elif method == "dare-ties":
            merged = b + elect_merge(torch.stack([dare(m - b, 0.5, g) for m in ms]))
        elif method == "della":
            merged = b + elect_merge(torch.stack([della(m - b, 0.5, 0.15, g) for m in ms]))
        elif method == "breadcrumbs":
            merged = b + torch.stack([breadcrumbs(m - b, 0.9, 0.01) for m in ms]).sum(0)
        elif method == "slerp":
            merged = slerp(ms[0], ms[1], 0.5)
        elif method == "model-stock":
            merged = model_stock(ms, b)
        else:
            raise SystemExit(f"torch_merge.py: unknown method {method}")
        shard[key] = merged.to(torch.bfloat16)
        size += shard[key].numel() * 2
        if size > SHARD_BYTES:
            st.save(shard, os.path.join(out, f"shard-{idx}.safetensors"))
            shard, size, idx = {}, 0, idx + 1
    if shard:
        st.save(shard, os.path.join(out, f"shard-{idx}.safetensors"))
    print(f"torch {method}: {time.time() - t0:.2f} s", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
