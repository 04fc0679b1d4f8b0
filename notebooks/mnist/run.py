"""Train the example CNN once: the command each experiment of the sweep runs.

    python run.py --batch-size=64 --test-batch-size=1000 --epochs=5 --lr=0.02575 --momentum=0.53

Data: MNIST idx files under ``--data-dir`` or the trial's data paths, else scikit-learn's
bundled digits resized to 28×28 (see ``data.py``). After every epoch it evaluates on the test
split, logs ``loss`` (test), ``accuracy`` (test) and ``train_loss`` with ``step=epoch``, and saves
the network's ``state_dict`` to ``<outputs path>/model.dat`` (replaced atomically, so a reader —
or a package command — never sees half a checkpoint; the last epoch wins, as in the original).

One thread per process: a sweep runs several trials side by side, and oversubscribed cores make
every trial slower.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import data
import torch
import torch.nn.functional as F
from network import Network, normalise

from jupyter_mlpipe import tracking


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the example MNIST CNN once.")
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size")
    parser.add_argument("--test-batch-size", type=int, default=1000, help="evaluation batch size")
    parser.add_argument("--epochs", type=int, default=5, help="passes over the training data")
    parser.add_argument("--lr", type=float, default=0.01, help="SGD learning rate")
    parser.add_argument("--momentum", type=float, default=0.5, help="SGD momentum")
    parser.add_argument("--seed", type=int, default=1, help="torch seed (weights, shuffling)")
    parser.add_argument(
        "--train-steps", type=int, default=0, help="at most this many batches per epoch (0: all)"
    )
    parser.add_argument(
        "--data-dir", default=None, help="folder holding MNIST idx files (default: data paths)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    for name in ("batch_size", "test_batch_size", "epochs", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lr <= 0:
        parser.error("--lr must be positive")
    return args


def batches(images: torch.Tensor, labels: torch.Tensor, size: int, generator=None):
    """Mini-batches, shuffled when a generator is given."""
    if generator is None:
        order = torch.arange(len(labels))
    else:
        order = torch.randperm(len(labels), generator=generator)
    for start in range(0, len(labels), size):
        index = order[start : start + size]
        yield images[index], labels[index]


def train_epoch(model, optimizer, images, labels, args, generator) -> float:
    model.train()
    total, seen = 0.0, 0
    for step, (x, y) in enumerate(batches(images, labels, args.batch_size, generator), 1):
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        seen += len(y)
        if args.train_steps and step >= args.train_steps:
            break
    return total / max(seen, 1)


@torch.no_grad()
def evaluate(model, images, labels, batch_size) -> tuple[float, float]:
    model.eval()
    loss, correct = 0.0, 0
    for x, y in batches(images, labels, batch_size):
        out = model(x)
        loss += F.nll_loss(out, y, reduction="sum").item()
        correct += int((out.argmax(dim=1) == y).sum())
    return loss / len(labels), correct / len(labels)


def save_checkpoint(model, folder: str) -> str:
    """Write ``model.dat`` atomically (temp file in the same folder, then rename)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.dat")
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    roots = [args.data_dir] if args.data_dir else list(tracking.get_data_paths().values())
    dataset = data.load(roots)
    train_x = normalise(torch.from_numpy(dataset.train_images))
    train_y = torch.from_numpy(dataset.train_labels)
    test_x = normalise(torch.from_numpy(dataset.test_images))
    test_y = torch.from_numpy(dataset.test_labels)
    print(f"data: {dataset.name}, {len(train_y)} train / {len(test_y)} test images", flush=True)

    model = Network()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    generator = torch.Generator().manual_seed(args.seed)
    outputs = tracking.get_outputs_path()
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        train_loss = train_epoch(model, optimizer, train_x, train_y, args, generator)
        loss, accuracy = evaluate(model, test_x, test_y, args.test_batch_size)
        tracking.log_metrics(step=epoch, loss=loss, accuracy=accuracy, train_loss=train_loss)
        save_checkpoint(model, outputs)
        print(
            f"epoch {epoch}/{args.epochs}: train_loss={train_loss:.4f} loss={loss:.4f} "
            f"accuracy={accuracy:.4f} ({time.perf_counter() - started:.1f}s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
