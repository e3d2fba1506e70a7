"""Continue training a saved neuralpath model with PyTorch's DistributedDataParallel (DDP).

The way out for a user who outgrows one machine: the model file becomes a torch module
(``neuralpath.export.to_torch``: the same weights, the input scaling folded into the first
layer), DDP spreads the training part over the processes, each process trains on its share
and DDP averages the gradients, so every process holds the same weights after each step. The
cost is the network's own: the tutorial's quadratic J = 1/2 ||y - h||^2 for a sigmoid output,
cross-entropy on the logits for softmax. Rank 0 can save the result as a neuralpath model
file again (``--out``), the input scaling unfolded, so ``neuralpath evaluate`` reads it.

Start it with torchrun (it sets RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)::

    neuralpath train --iterations 300 --out model.npz
    torchrun --nproc_per_node=2 examples/ddp_continue.py model.npz --epochs 5 --out more.npz

(on several machines: torchrun --nnodes=N --node_rank=K --master_addr=HOST ... on each;
``--backend nccl`` on GPUs). ``--report FILE`` writes each process's losses and final weights
as JSON (``{rank}`` in FILE is replaced by the rank): tests/test_ddp_example.py checks with
it that the loss falls and the two processes' weights stay equal.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import neuralpath
from neuralpath.export import to_torch
from neuralpath.pipeline import prepare


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a neuralpath model file (.npz) with its config")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=0.05, help="SGD's learning rate")
    parser.add_argument("--backend", default="gloo", help="gloo (CPUs) or nccl (GPUs)")
    parser.add_argument("--out", help="rank 0 saves the continued model here (.npz)")
    parser.add_argument("--report", help="JSON of losses and weights per rank ({rank})")
    return parser.parse_args(argv)


def training_data(model: neuralpath.TrainedModel) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's own training part (the split of its config's seed), as raw inputs (the
    module takes raw inputs) and one-hot targets, in the module's dtype."""
    parts = prepare(model.config)
    X = parts["X_train"] * model.scaler_scale + model.scaler_mean  # undo the pipeline's scaling
    Y = (parts["y_train"][:, None] == model.classes[None, :]).astype(np.float64)  # (m, k)
    dtype = torch.float64 if model.network.dtype == np.float64 else torch.float32
    return torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype)


def cost_function(model: neuralpath.TrainedModel):
    """The network's cost on the module's output: (module to train, loss(output, Y))."""
    module = to_torch(model)
    output = model.network.output_activation.name
    if model.network.cost.name == "quadratic":  # tutorial 4.2, averaged over the batch
        return module, lambda h, Y: 0.5 * ((h - Y) ** 2).sum(dim=1).mean()
    if output == "softmax":  # cross-entropy on the logits: drop the Softmax module
        return module[:-1], lambda z, Y: torch.nn.functional.cross_entropy(z, Y.argmax(dim=1))
    if output == "sigmoid":
        return module[:-1], lambda z, Y: torch.nn.functional.binary_cross_entropy_with_logits(
            z, Y, reduction="none").sum(dim=1).mean()
    raise SystemExit(f"ddp_continue: no loss for cost {model.network.cost.name} with a "
                     f"{output} output")


def mean_loss(module, loss, X, Y) -> float:
    """The loss over every process's share of the data, averaged over all of them."""
    with torch.no_grad():
        total = torch.tensor([float(loss(module(X), Y)) * len(X), float(len(X))],
                             dtype=torch.float64)
    dist.all_reduce(total)
    return float(total[0] / total[1])


def save_model(model: neuralpath.TrainedModel, module, path: str) -> str:
    """Write the module's weights back into the model (the scaling unfolded from layer 1)."""
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    net = model.network
    for l, linear in enumerate(linears):
        W = linear.weight.detach().cpu().numpy().astype(net.dtype)  # (s_{l+1}, s_l)
        b = linear.bias.detach().cpu().numpy().astype(net.dtype)
        if l == 0:  # to_torch folded (x - mean) / scale in: W' = W / scale, b' = b - W' mean
            b = b + W @ model.scaler_mean
            W = W * model.scaler_scale
        net.W[l][...] = W
        net.b[l][...] = b
    return model.save(path)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    dist.init_process_group(args.backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    model = neuralpath.load(args.model)
    X, Y = training_data(model)
    module, loss = cost_function(model)
    ddp = DDP(module)  # broadcasts rank 0's weights: every process starts from the same
    data = TensorDataset(X, Y)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=args.batch_size, sampler=sampler)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=args.lr)
    share = list(sampler)  # this process's part, for the loss before and after
    losses = [mean_loss(module, loss, X[share], Y[share])]
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        for xb, yb in loader:
            optimizer.zero_grad()
            loss(ddp(xb), yb).backward()  # DDP averages the gradients over the processes
            optimizer.step()
        losses.append(mean_loss(module, loss, X[share], Y[share]))
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {losses[-1]:.5f}", flush=True)
    if args.report:
        weights = [p.detach().cpu().numpy().ravel().tolist() for p in module.parameters()]
        with open(args.report.replace("{rank}", str(rank)), "w") as f:
            json.dump({"rank": rank, "world": world, "losses": losses, "weights": weights}, f)
    if args.out and rank == 0:
        print(f"model written to {save_model(model, module, args.out)}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
