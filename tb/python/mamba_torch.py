"""Mamba1 and Mamba2 mixer blocks in plain PyTorch, written from the public
definitions (state-spaces/mamba: mamba_simple.Mamba.forward with
selective_scan_ref; mamba2.Mamba2 with the recurrence that ssd_minimal's
chunked sums compute, and RMSNormGated with norm_before_gate=False). Weights
are a dict named as the checkpoints name them (in_proj.weight, conv1d.weight,
...); x is one sequence [L, d_model]. The dtype of the computation is the
dtype of the tensors passed in."""
import torch
import torch.nn.functional as F


def _conv_silu(x_cl, w, b):
    """Causal depthwise conv over [C, L] (Conv1d with padding W-1, cut to L), then SiLU."""
    C, L = x_cl.shape
    W = w.shape[-1]
    y = F.conv1d(x_cl[None], w.reshape(C, 1, W), b, padding=W - 1, groups=C)[0, :, :L]
    return F.silu(y)


def mamba1(p, x, dt_rank, d_state):
    L = x.shape[0]
    D = p["D"].shape[0]
    xz = x @ p["in_proj.weight"].T                        # [L, 2D]
    xs, z = xz[:, :D].T, xz[:, D:].T                      # [D, L]
    u = _conv_silu(xs, p["conv1d.weight"], p.get("conv1d.bias"))
    x_dbl = u.T @ p["x_proj.weight"].T                    # [L, R + 2N]
    dt, B, C = torch.split(x_dbl, [dt_rank, d_state, d_state], dim=-1)
    delta = (dt @ p["dt_proj.weight"].T).T                # [D, L], bias added in the scan
    # selective_scan_ref: delta = softplus(delta + bias) (threshold 20), A = -exp(A_log),
    # h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t, y_t = C_t . h_t + D u_t, y *= silu(z).
    delta = F.softplus(delta + p["dt_proj.bias"][:, None])
    A = -torch.exp(p["A_log"])                            # [D, N]
    dA = torch.exp(delta[:, :, None] * A[:, None, :])     # [D, L, N]
    dBu = delta[:, :, None] * B[None, :, :] * u[:, :, None]
    h = torch.zeros(D, d_state, dtype=x.dtype)
    ys = []
    for t in range(L):
        h = dA[:, t] * h + dBu[:, t]
        ys.append(h @ C[t])
    y = torch.stack(ys, dim=1) + p["D"][:, None] * u      # [D, L]
    y = y * F.silu(z)
    return y.T @ p["out_proj.weight"].T                   # [L, d_model]


def mamba2(p, x, nheads, headdim, ngroups, d_state, eps=1e-5):
    L = x.shape[0]
    D = nheads * headdim
    GN = ngroups * d_state
    zxbcdt = x @ p["in_proj.weight"].T                    # [L, 2D + 2GN + H]: z, xBC, dt
    z, xBC, dt = torch.split(zxbcdt, [D, D + 2 * GN, nheads], dim=-1)
    xBC = _conv_silu(xBC.T, p["conv1d.weight"], p.get("conv1d.bias"))  # [D + 2GN, L]
    xs, B, C = torch.split(xBC, [D, GN, GN], dim=0)
    dt = F.softplus(dt + p["dt_bias"])                    # [L, H]
    A = -torch.exp(p["A_log"])                            # [H]
    y = torch.empty(D, L, dtype=x.dtype)
    hpg = nheads // ngroups
    for h in range(nheads):
        g = h // hpg
        Bg, Cg = B[g * d_state:(g + 1) * d_state], C[g * d_state:(g + 1) * d_state]  # [N, L]
        xh = xs[h * headdim:(h + 1) * headdim]            # [P, L]
        st = torch.zeros(headdim, d_state, dtype=x.dtype)
        for t in range(L):
            st = torch.exp(dt[t, h] * A[h]) * st + dt[t, h] * xh[:, t:t + 1] * Bg[:, t][None, :]
            y[h * headdim:(h + 1) * headdim, t] = st @ Cg[:, t] + p["D"][h] * xh[:, t]
    # RMSNormGated(norm_before_gate=False), one group per SSD group of d_inner / ngroups channels.
    g = (y * F.silu(z.T)).T                               # [L, D]
    g = g.reshape(L, ngroups, D // ngroups)
    g = g * torch.rsqrt(g.pow(2).mean(-1, keepdim=True) + eps)
    g = g.reshape(L, D) * p["norm.weight"]
    return g @ p["out_proj.weight"].T
