#!/usr/bin/python3
"""Independent PyTorch (1.13, CPU) reference of TokenUnify's SegMamba.

Written from the published architecture (MambaEncoder with bimamba "v3" Mamba layers, GSC
blocks, MONAI-style UNETR encoder/decoder) with the official parameter names, so that a
state_dict saved here is what an official TokenUnify checkpoint looks like. The selective scan
follows mamba_ssm's CPU reference path (per-step loop over precomputed exp(dt*A) and dt*B*u).

Usage (all tensors float32, little endian; weights in safetensors):
  segmamba_ref.py run --config cfg.json --weights w.safetensors --input x.f32 --shape B,C,Z,Y,X
                      --out DIR [--seed-grad R.f32] [--save-pth model.pth] [--threads 2]
  segmamba_ref.py bench --config cfg.json --shape B,C,Z,Y,X --threads 2 [--train]
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- selective scan

def selective_scan(u, delta, A, Bm, Cm, Dskip, delta_bias):
    """u, delta: (B, D, L); A: (D, N); Bm, Cm: (B, N, L); returns y (B, D, L)."""
    dt = F.softplus(delta + delta_bias[:, None])
    decay = torch.exp(torch.einsum("bdl,dn->bdln", dt, A))
    drive = torch.einsum("bdl,bnl,bdl->bdln", dt, Bm, u)
    h = u.new_zeros(u.shape[0], u.shape[1], A.shape[1])
    states = []
    # unbind once (its backward is one stack) rather than indexing per step, whose backward
    # would scatter into a full-size zero tensor at every step
    for a_t, b_t in zip(decay.unbind(2), drive.unbind(2)):
        h = a_t * h + b_t
        states.append(h)
    y = torch.einsum("bdln,bnl->bdl", torch.stack(states, dim=2), Cm)
    return y + u * Dskip[:, None]


# ---------------------------------------------------------------- Mamba (bimamba v3)

class Mamba(nn.Module):
    def __init__(self, d_model, d_state=16, d_conv=4, expand=2, nslices=5):
        super().__init__()
        self.d_inner = expand * d_model
        self.d_state = d_state
        self.dt_rank = math.ceil(d_model / 16)
        self.nslices = nslices
        di, r, n = self.d_inner, self.dt_rank, d_state
        self.in_proj = nn.Linear(d_model, 2 * di, bias=False)
        for suffix in ("", "_b", "_s"):
            setattr(self, "conv1d" + suffix, nn.Conv1d(di, di, d_conv, groups=di, padding=d_conv - 1, bias=True))
            setattr(self, "x_proj" + suffix, nn.Linear(di, r + 2 * n, bias=False))
            setattr(self, "dt_proj" + suffix, nn.Linear(r, di, bias=True))
        a = torch.log(torch.arange(1, n + 1, dtype=torch.float32)).repeat(di, 1)
        self.A_log = nn.Parameter(a.clone())
        self.D = nn.Parameter(torch.ones(di))
        self.A_b_log = nn.Parameter(a.clone())
        self.D_b = nn.Parameter(torch.ones(di))
        self.A_s_log = nn.Parameter(a.clone())
        self.D_s = nn.Parameter(torch.ones(di))
        self.out_proj = nn.Linear(di, d_model, bias=False)

    def _direction(self, x, z, suffix, a_log, d_skip):
        length = x.shape[-1]
        conv = getattr(self, "conv1d" + suffix)
        u = F.silu(conv(x)[..., :length])
        x_dbl = getattr(self, "x_proj" + suffix)(u.transpose(1, 2))  # (B, L, R+2N)
        r, n = self.dt_rank, self.d_state
        dt_low, b_t, c_t = torch.split(x_dbl, [r, n, n], dim=-1)
        dt_proj = getattr(self, "dt_proj" + suffix)
        delta = (dt_low @ dt_proj.weight.t()).transpose(1, 2)
        y = selective_scan(u, delta, -torch.exp(a_log), b_t.transpose(1, 2), c_t.transpose(1, 2), d_skip, dt_proj.bias)
        return y * F.silu(z)

    def forward(self, h):  # (B, L, C)
        batch, length, _ = h.shape
        xz = self.in_proj(h).transpose(1, 2)  # (B, 2*Di, L)
        ns = self.nslices
        out = self._direction(*xz.chunk(2, dim=1), "", self.A_log, self.D)
        flipped = xz.flip([-1])
        out = out + self._direction(*flipped.chunk(2, dim=1), "_b", self.A_b_log, self.D_b).flip([-1])
        # "slice" order: cut into ns chunks and interleave them
        sliced = torch.stack(xz.chunk(ns, dim=-1), dim=-1).flatten(-2)
        ys = self._direction(*sliced.chunk(2, dim=1), "_s", self.A_s_log, self.D_s)
        out = out + ys.reshape(batch, self.d_inner, length // ns, ns).permute(0, 1, 3, 2).flatten(-2)
        return self.out_proj(out.transpose(1, 2))


class MambaLayer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mamba = Mamba(dim)

    def forward(self, x):
        b, c = x.shape[:2]
        spatial = x.shape[2:]
        tokens = x.reshape(b, c, -1).transpose(1, 2)
        y = self.mamba(self.norm(tokens))
        return y.transpose(1, 2).reshape(b, c, *spatial)


class GSC(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.proj = nn.Conv3d(c, c, 3, 1, 1)
        self.proj2 = nn.Conv3d(c, c, 3, 1, 1)
        self.proj3 = nn.Conv3d(c, c, 1, 1, 0)
        self.proj4 = nn.Conv3d(c, c, 1, 1, 0)

    def forward(self, x):
        def blk(conv, v):
            return F.relu(F.instance_norm(conv(v)))
        x1 = blk(self.proj2, blk(self.proj, x))
        x2 = blk(self.proj3, x)
        return blk(self.proj4, x1 + x2) + x


class MlpChannel(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.fc1 = nn.Conv3d(c, hidden, 1)
        self.fc2 = nn.Conv3d(hidden, c, 1)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class MambaEncoder(nn.Module):
    def __init__(self, in_chans, depths, dims):
        super().__init__()
        self.downsample_layers = nn.ModuleList()
        self.downsample_layers.append(nn.Sequential(nn.Conv3d(in_chans, dims[0], (1, 7, 7), stride=2, padding=(0, 3, 3))))
        for i in range(3):
            self.downsample_layers.append(nn.Sequential(nn.InstanceNorm3d(dims[i]), nn.Conv3d(dims[i], dims[i + 1], (1, 2, 2), stride=2)))
        self.stages = nn.ModuleList([nn.Sequential(*[MambaLayer(dims[i]) for _ in range(depths[i])]) for i in range(4)])
        self.gscs = nn.ModuleList([GSC(dims[i]) for i in range(4)])
        self.mlps = nn.ModuleList([MlpChannel(dims[i], 2 * dims[i]) for i in range(4)])

    def forward(self, x):
        outs = []
        for i in range(4):
            x = self.downsample_layers[i](x)
            x = self.gscs[i](x)
            x = self.stages[i](x)
            outs.append(self.mlps[i](F.instance_norm(x)))
        return outs


# ---------------------------------------------------------------- UNETR blocks (MONAI semantics)

class ConvOnly(nn.Module):
    """MONAI's Convolution with conv_only: a container whose child is named 'conv'."""
    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        return self.conv(x)


class UnetResBlock(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        pad = tuple((d - 1) // 2 for d in k)
        self.conv1 = ConvOnly(nn.Conv3d(cin, cout, k, padding=pad, bias=False))
        self.conv2 = ConvOnly(nn.Conv3d(cout, cout, k, padding=pad, bias=False))
        self.has_shortcut = cin != cout
        if self.has_shortcut:
            self.conv3 = ConvOnly(nn.Conv3d(cin, cout, 1, bias=False))

    def forward(self, x):
        out = F.leaky_relu(F.instance_norm(self.conv1(x)), 0.01)
        out = F.instance_norm(self.conv2(out))
        res = F.instance_norm(self.conv3(x)) if self.has_shortcut else x
        return F.leaky_relu(out + res, 0.01)


class UnetrBasicBlock(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.layer = UnetResBlock(cin, cout, k)

    def forward(self, x):
        return self.layer(x)


class UnetrUpBlock(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.transp_conv = ConvOnly(nn.ConvTranspose3d(cin, cout, 2, stride=2, bias=False))
        self.conv_block = UnetResBlock(2 * cout, cout, k)

    def forward(self, x, skip):
        return self.conv_block(torch.cat((self.transp_conv(x), skip), dim=1))


class UnetOutBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = ConvOnly(nn.Conv3d(cin, cout, 1, bias=True))

    def forward(self, x):
        return self.conv(x)


class SegMamba(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        f = cfg["featureSize"]
        k = tuple(cfg["kernelSize"])
        hid = cfg["hiddenSize"]
        self.vit = MambaEncoder(cfg["inChannels"], cfg["depths"], f)
        self.encoder1 = UnetrBasicBlock(cfg["inChannels"], f[0], k)
        self.encoder2 = UnetrBasicBlock(f[0], f[1], k)
        self.encoder3 = UnetrBasicBlock(f[1], f[2], k)
        self.encoder4 = UnetrBasicBlock(f[2], f[3], k)
        self.encoder5 = UnetrBasicBlock(f[3], hid, k)
        self.decoder5 = UnetrUpBlock(hid, f[3], k)
        self.decoder4 = UnetrUpBlock(f[3], f[2], k)
        self.decoder3 = UnetrUpBlock(f[2], f[1], k)
        self.decoder2 = UnetrUpBlock(f[1], f[0], k)
        self.decoder1 = UnetrBasicBlock(f[0], f[0], k)
        self.out = UnetOutBlock(f[0], cfg["outChannels"])

    def forward(self, x):
        outs = self.vit(x)
        enc1 = self.encoder1(x)
        enc2 = self.encoder2(outs[0])
        enc3 = self.encoder3(outs[1])
        enc4 = self.encoder4(outs[2])
        hidden = self.encoder5(outs[3])
        d = self.decoder5(hidden, enc4)
        d = self.decoder4(d, enc3)
        d = self.decoder3(d, enc2)
        d = self.decoder2(d, enc1)
        return torch.sigmoid(self.out(self.decoder1(d)))


# ---------------------------------------------------------------- I/O helpers

def read_safetensors(path):
    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(n))
        base = 8 + n
        blob = fh.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32", name
        a, b = meta["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(blob[a:b], dtype="<f4").reshape(meta["shape"]).copy())
    return out


def write_safetensors(path, tensors):
    header = {}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        raw = t.detach().float().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(len(h).to_bytes(8, "little"))
        fh.write(h)
        for b in blobs:
            fh.write(b)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["run", "bench"])
    ap.add_argument("--config", required=True)
    ap.add_argument("--weights")
    ap.add_argument("--input")
    ap.add_argument("--shape", required=True)
    ap.add_argument("--out")
    ap.add_argument("--seed-grad")
    ap.add_argument("--save-pth")
    ap.add_argument("--module-prefix", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--double", action="store_true", help="compute in float64 (outputs still float32 files)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = json.load(open(args.config))
    shape = [int(s) for s in args.shape.split(",")]
    model = SegMamba(cfg)

    if args.mode == "bench":
        torch.manual_seed(0)
        x = torch.rand(*shape)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            if args.train:
                opt.zero_grad()
                loss = F.mse_loss(model(x), torch.zeros(shape[0], cfg["outChannels"], *shape[2:]))
                loss.backward()
                opt.step()
            else:
                with torch.no_grad():
                    model(x)
            times.append(time.perf_counter() - t0)
        print(json.dumps({"seconds": times, "peak_rss_mb": peak_rss_mb(), "threads": torch.get_num_threads(), "torch": torch.__version__}))
        return

    missing, unexpected = model.load_state_dict(read_safetensors(args.weights), strict=False)
    if missing or unexpected:
        sys.exit("weights mismatch: missing %s unexpected %s" % (missing, unexpected))
    x = torch.from_numpy(np.fromfile(args.input, dtype="<f4").reshape(shape).copy())
    if args.double:
        model.double()
        x = x.double()
    x.requires_grad_(args.seed_grad is not None)
    y = model(x)
    os.makedirs(args.out, exist_ok=True)
    y.detach().float().numpy().astype("<f4").tofile(os.path.join(args.out, "probs.f32"))
    if args.seed_grad:
        r = torch.from_numpy(np.fromfile(args.seed_grad, dtype="<f4").reshape(y.shape).copy()).to(y.dtype)
        (y * r).sum().backward()
        grads = {n: p.grad for n, p in model.named_parameters()}
        grads["__input__"] = x.grad
        write_safetensors(os.path.join(args.out, "grads.safetensors"), grads)
    if args.save_pth:
        sd = {k: v.float() for k, v in model.state_dict().items()}
        if args.module_prefix:
            sd = {"module." + k: v for k, v in sd.items()}
        torch.save({"model": sd, "epoch": 3, "optimizer": None}, args.save_pth)
    print(json.dumps({"ok": True, "params": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
