"""Exercise 08: a two-layer ReLU network trained by hand, with autograd, and with nn.Module."""

from ..spec import Assignment, Close, Equal, Hint, Item, Probe, Reference

ACCUMULATED = ("the gradients accumulated: loss.backward() adds to .grad, and nothing reset it between steps, so each "
               "update used the sum of all earlier gradients (the loss goes up and down). Reset the gradients every step.")
GRAPH = ("after the update a parameter is no longer a leaf: the update was recorded in the graph. Update in place "
         "(p -= lr * p.grad) inside `with torch.no_grad():`; p = p - lr * p.grad makes a new tensor.")


def L(*values):
    """A list of numbers written the way probes report one (Close does not read a bare Python list)."""
    return {"type": "list", "items": list(values)}


def _shapes(rng):
    return {"seed": rng.randint(0, 10_000), "N": rng.randint(2, 9), "D": rng.randint(1, 5), "H": rng.randint(2, 9), "K": rng.randint(1, 4)}


def _update(rng):
    return {"seed": rng.randint(0, 10_000), "lr": round(rng.uniform(0.01, 0.5), 3)}


def _nesterov(rng):
    a, c = rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0)
    off = rng.uniform(-0.4, 0.4)
    return {"A": f"torch.tensor([[{a:.3f}, {off:.3f}], [{off:.3f}, {c:.3f}]])",
            "b": f"torch.tensor([{rng.uniform(-1, 1):.3f}, {rng.uniform(-1, 1):.3f}])",
            "p0": f"torch.tensor([{rng.uniform(-2, 2):.3f}, {rng.uniform(-2, 2):.3f}])",
            "lr": round(rng.uniform(0.02, 0.3), 3), "mu": round(rng.uniform(0.3, 0.95), 2), "steps": rng.randint(3, 25)}


def _train(rng):
    return {"seed": rng.randint(0, 10_000), "steps": rng.randint(5, 25)}


def _dims(rng):
    return {"D": rng.randint(1, 6), "H": rng.randint(2, 10), "K": rng.randint(1, 4), "N": rng.randint(1, 5)}


_UPDATED = "after_update(sgd_update, 0, 0.1)"

SPEC = Assignment(
    name="ex08",
    items=(
        Item("q1_manual_grads", points=4, title="Hand-derived gradients of a two-layer ReLU network", probes=(
            Probe("[str(tuple(g.shape)) for g in manual_grads(*example())]", Equal(["(3, 5)", "(5,)", "(5, 2)", "(2,)"])),
            Probe("[(a - b).abs().max() for a, b in zip(manual_grads(*example()), autograd_grads(*example()))]",
                  Close(L(0.0, 0.0, 0.0, 0.0), rtol=0, atol=1e-6), weight=2),
            *(Probe(f"manual_grads(*example({{seed}}, {{N}}, {{D}}, {{H}}, {{K}}))[{i}]", Reference(), hidden=True, draw=_shapes)
              for i in range(4)),
        )),
        Item("q2_sgd_update", points=2, title="An update that builds no graph", probes=(
            Probe(f"[(p.detach() - (b - 0.1 * g)).abs().max() for p, b, g in zip(*{_UPDATED})]", Close(L(0.0, 0.0, 0.0, 0.0), rtol=0, atol=1e-6)),
            Probe(f"[p.is_leaf and p.requires_grad for p in {_UPDATED}[0]]", Equal([True] * 4), hints=(Hint(Equal([False] * 4), GRAPH),)),
            Probe(f"[p.grad is None or bool((p.grad == 0).all()) for p in {_UPDATED}[0]]", Equal([True] * 4), hints=(
                Hint(Equal([False] * 4), "reset each gradient after the update (p.grad = None), or the next backward() adds to it."),
            )),
            *(Probe(f"after_update(sgd_update, {{seed}}, {{lr}})[0][{i}]", Reference(), hidden=True, draw=_update, weight=0.5)
              for i in range(4)),
        )),
        Item("q3_nesterov", points=3, title="Nesterov momentum by hand, step for step like torch.optim.SGD", probes=(
            Probe("nesterov_sgd(lambda p: 2 * p, torch.tensor([1.0]), 0.1, 0.9, 3)", Close(L(-0.108352)), hints=(
                Hint(Close(L(0.062)), "this is classical momentum (p ← p − lr·b): Nesterov steps along g + μ·b instead."),
            )),
            Probe("(nesterov_sgd(lambda p: p**3 - 1, torch.tensor([0.3, -0.5]), 0.05, 0.8, 20) - "
                  "torch_nesterov(lambda p: p**3 - 1, torch.tensor([0.3, -0.5]), 0.05, 0.8, 20)).abs().max()", Close(0.0, rtol=0, atol=1e-6)),
            Probe("nesterov_sgd(lambda p: {A} @ p - {b}, {p0}, {lr}, {mu}, {steps})", Reference(), hidden=True, draw=_nesterov, weight=2),
        )),
        Item("q4_train_fixed", points=2, title="Repairing a training loop", probes=(
            Probe("(lambda l: all(b <= a for a, b in zip(l, l[1:])))(train(make_params(0), 20))", Equal(True), hints=(
                Hint(Equal(False), ACCUMULATED),
            )),
            Probe("train(make_params(0), 20)[-1]", Close(0.582249, rtol=1e-4), hints=(Hint(Close(0.574555, rtol=1e-4), ACCUMULATED),)),
            Probe("train(make_params({seed}), {steps})", Reference(), hidden=True, draw=_train, weight=2),
        )),
        Item("q5_module", points=2, title="The same network as an nn.Module", probes=(
            Probe("isinstance(TwoLayerNet(3, 8, 2), torch.nn.Module)", Equal(True)),
            Probe("sum(p.numel() for p in TwoLayerNet(3, 8, 2).parameters())", Equal(3 * 8 + 8 + 8 * 2 + 2)),
            Probe("(lambda net, X: (net(X) - forward(X, net.hidden.weight.T, net.hidden.bias, net.out.weight.T, net.out.bias)).abs().max())"
                  "(TwoLayerNet(3, 8, 2), torch.randn(5, 3))", Close(0.0, rtol=0, atol=1e-6)),
            Probe("[sum(p.numel() for p in TwoLayerNet({D}, {H}, {K}).parameters()), list(TwoLayerNet({D}, {H}, {K})(torch.zeros({N}, {D})).shape)]",
                  Reference(), hidden=True, draw=_dims),
        )),
    ),
)
