"""Exercise 08: a two-layer ReLU network trained by hand, with autograd, and with nn.Module."""


from ..spec import Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, numeric
from .evidence import ANY, L, Where

ACCUMULATED = ("the gradients accumulated: loss.backward() adds to .grad, and nothing reset it between steps, so each "
               "update used the sum of all earlier gradients (the loss goes up and down). Reset the gradients every step.")
GOES_UP = ("the loss went up at some step, which plain gradient descent at this learning rate never does here. Look at "
           ".grad between steps: backward() adds to it, so unless something resets it every update uses old gradients too.")
GRAPH = ("after the update a parameter is no longer a leaf: the update was recorded in the graph. Update in place "
         "(p -= lr * p.grad) inside `with torch.no_grad():`; p = p - lr * p.grad makes a new tensor.")
USED_AUTOGRAD = ("manual_grads called autograd (backward(), torch.autograd.grad, or autograd_grads, which uses it): with "
                 "autograd switched off it fails. Derive each gradient by hand, from the intermediate results Z, H and ŷ.")
USED_OPTIM = ("nesterov_sgd used torch.optim.SGD (directly or through torch_nesterov): with it switched off the function "
              "fails. Write the four steps of the rule yourself.")
CLASSICAL = ("this is what classical momentum gives (p ← p − lr·b), and also what g + μ·b gives with the buffer of the "
             "previous step: update the buffer first (b ← μb + g), then step along g + μ·b.")
DAMPENED = ("this matches a buffer updated as b ← μb + (1 − μ)g: torch's rule is b ← μb + (1 − dampening)·g with "
            "dampening = 0 here, so b ← μb + g.")
NO_MOMENTUM = "this is plain gradient descent (p ← p − lr·g): the momentum buffer was not used."
P0_CHANGED = ("p0 changed during the call: an in-place update (p -= ..., p.sub_(...)) on p = p0 modifies the caller's "
              "tensor. Start from a copy, p = p0.clone().")
TRAIN_REQUIRES_GRAD = ("after train the caller's tensors require grad: p.requires_grad_() switches it on for the tensor "
                       "itself. Make copies first (p.clone().requires_grad_() or p.detach().clone().requires_grad_()).")
TRAIN_CHANGED = ("train changed the values of the tensors it was given: it updated them in place instead of copies. "
                 "Start from p.clone() (or p.detach().clone()) and update those.")
RATIO = "each gradient, as a multiple of the right one (its projection on autograd's gradient)"


def _ratios(value):
    return numeric(value)[1]


# manual_grads on example(): gradients of the right form but wrong size, as multiples of the right ones.
_OUTPUT_RIGHT_HIDDEN_WRONG = Where(lambda v: all(abs(r - 1) < 1e-3 for r in _ratios(v)[2:]) and any(abs(r - 1) > 1e-3 for r in _ratios(v)[:2]))


def _shapes(rng):
    """Typical shapes, the one-element network, and a ReLU input exactly at its kink 0."""
    seed = rng.randint(0, 10_000)
    return [{"args": f"example({seed}, {rng.randint(2, 9)}, {rng.randint(1, 5)}, {rng.randint(2, 9)}, {rng.randint(1, 4)})",
             "_label": "a network of random shapes"},
            {"args": f"example({seed + 1}, 1, 1, 1, 1)", "_label": "a network where every size is 1"},
            {"args": f"(lambda e, m: (e[0], e[1], e[2] * m, e[3] * m, e[4], e[5]))(example({seed + 2}), "
                     "torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0], dtype=torch.float64))",
             "_label": "a network whose ReLU inputs are exactly 0 in some units"}]


def _update(rng):
    return [{"seed": rng.randint(0, 10_000), "lr": round(rng.uniform(0.01, 0.5), 3), "_label": "fresh parameters and a learning rate"},
            {"seed": rng.randint(0, 10_000), "lr": round(rng.uniform(5, 50), 2), "_label": "a large learning rate"}]


def _nesterov(rng):
    a, c = rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0)
    off = rng.uniform(-0.4, 0.4)
    return {"A": f"torch.tensor([[{a:.3f}, {off:.3f}], [{off:.3f}, {c:.3f}]], dtype=torch.float32)",
            "b": f"torch.tensor([{rng.uniform(-1, 1):.3f}, {rng.uniform(-1, 1):.3f}], dtype=torch.float32)",
            "p0": f"torch.tensor([{rng.uniform(-2, 2):.3f}, {rng.uniform(-2, 2):.3f}], dtype=torch.float32)",
            "lr": round(rng.uniform(0.02, 0.3), 3), "mu": round(rng.uniform(0.3, 0.95), 2), "steps": rng.randint(3, 25),
            "_label": "a quadratic with a random start, learning rate and momentum"}


def _train(rng):
    return {"seed": rng.randint(0, 10_000), "steps": rng.randint(5, 25), "_label": "fresh parameters"}


def _dims(rng):
    return [{"D": rng.randint(1, 6), "H": rng.randint(2, 10), "K": rng.randint(1, 4), "N": rng.randint(1, 5), "_label": "random sizes"},
            {"D": 1, "H": 1, "K": 1, "N": 1, "_label": "sizes of 1"}]


_UPDATED = "after_update(sgd_update, 0, 0.1)"
_RATIOS = "[(m * a).sum() / (a * a).sum() for m, a in zip(manual_grads(*example()), autograd_grads(*example()))]"
# The caller's tensors after train: values, then requires_grad and "has a .grad" (1.0 or 0.0) of each.
_TRAIN_CALLER = ("(lambda ps: [train(ps, {steps}), torch.cat([p.detach().flatten() for p in ps] + "
                 "[torch.tensor([float(p.requires_grad), float(p.grad is not None)]) for p in ps])][1])(make_params({seed}))")

SPEC = Assignment(
    name="ex08",
    items=(
        Item("q1_manual_grads", points=4, title="Hand-derived gradients of a two-layer ReLU network", probes=(
            Probe("[str(tuple(g.shape)) for g in manual_grads(*example())]", Equal(["(3, 5)", "(5,)", "(5, 2)", "(2,)"]),
                  label="the shapes of the four gradients"),
            Probe("[(a - b).abs().max() for a, b in zip(manual_grads(*example()), autograd_grads(*example()))]",
                  Close(L(0.0, 0.0, 0.0, 0.0), rtol=0, atol=1e-6), weight=2, label="largest difference from autograd, per gradient"),
            Probe(_RATIOS, Close(L(1.0, 1.0, 1.0, 1.0), rtol=1e-3, atol=1e-3), label=RATIO, hints=(
                Hint(Close(L(2.0, 2.0, 2.0, 2.0), rtol=1e-3), "every gradient is K = 2 times too large: the loss is the mean over "
                     "all N·K entries of ŷ, so ∂L/∂ŷ = 2(ŷ − y)/(N·K); dividing by N alone leaves a factor K."),
                Hint(Close(L(12.0, 12.0, 12.0, 12.0), rtol=1e-3), "every gradient is N·K = 12 times too large: the loss is a mean, "
                     "so ∂L/∂ŷ = 2(ŷ − y)/(N·K), not 2(ŷ − y)."),
                Hint(Close(L(0.5, 0.5, 0.5, 0.5), rtol=1e-3), "every gradient is half the right one: the derivative of (ŷ − y)² is "
                     "2(ŷ − y)."),
                Hint(Close(L(-1.0, -1.0, -1.0, -1.0), rtol=1e-3), "every gradient has the wrong sign: ∂L/∂ŷ = 2(ŷ − y)/(N·K), not 2(y − ŷ)/(N·K)."),
                Hint(_OUTPUT_RIGHT_HIDDEN_WRONG, "dW2 and db2 are right, dW1 and db1 are not: the mistake is in the step back through "
                     "the ReLU (it passes the gradient only where Z > 0: multiply by (Z > 0)) or in dZ = (∂L/∂ŷ) W2ᵀ."),
            )),
            Probe("outcome(lambda *a: manual_grads(*a)[0], *example(), autograd=False)", Reference(), label="dW1 with autograd switched off",
                  hints=(Hint(Raised("RuntimeError", "not allowed"), USED_AUTOGRAD),
                         Hint(Raised("RuntimeError", "does not require grad"), USED_AUTOGRAD))),
            *(Probe(f"outcome(lambda *a: manual_grads(*a)[{i}], *{{args}}, autograd=False)", Reference(), hidden=True, draw=_shapes,
                    hints=(Hint(Raised("RuntimeError", "not allowed"), USED_AUTOGRAD),
                           Hint(Raised("RuntimeError", "does not require grad"), USED_AUTOGRAD)))
              for i in range(4)),
        )),
        Item("q2_sgd_update", points=2, title="An update that builds no graph", probes=(
            Probe(f"[(p.detach() - (b - 0.1 * g)).abs().max() for p, b, g in zip(*{_UPDATED})]", Close(L(0.0, 0.0, 0.0, 0.0), rtol=0, atol=1e-6),
                  label="the updated values"),
            Probe(f"[p.is_leaf and p.requires_grad for p in {_UPDATED}[0]]", Equal([True] * 4), label="every parameter is still a leaf requiring grad",
                  hints=(Hint(Equal([False] * 4), GRAPH),)),
            Probe(f"[p.grad is None or bool((p.grad == 0).all()) for p in {_UPDATED}[0]]", Equal([True] * 4), label="every gradient is reset",
                  hints=(Hint(Equal([False] * 4), "reset each gradient after the update (p.grad = None), or the next backward() adds to it."),)),
            Probe("(lambda ps: (lambda before: [sgd_update(ps, 0.1), [p is q for p, q in zip(ps, before)]][1])(list(ps)))(grads_ready(0))",
                  Equal([True] * 4), label="the list holds the same tensor objects after the call", hints=(
                      Hint(ANY, "after the call the list holds other tensor objects than before: assigning params[i] = ... replaces a "
                                "tensor instead of changing it. Update each p in place (p -= lr * p.grad under torch.no_grad())."),
                  )),
            Probe("(lambda ps: sgd_update(ps, 0.1))(grads_ready(0))", Equal(None), label="what sgd_update returns",
                  hints=(Hint(ANY, "sgd_update changes the tensors in place and returns nothing (None)."),)),
            # The caller's own tensors after the call (a copy of the list is passed, so replacing entries changes nothing here).
            *(Probe(f"(lambda ps: [sgd_update(list(ps), {{lr}}), ps][1])(grads_ready({{seed}}))[{i}]", Reference(), hidden=True,
                    draw=_update, weight=0.5) for i in range(4)),
        )),
        Item("q3_nesterov", points=3, title="Nesterov momentum by hand, step for step like torch.optim.SGD", probes=(
            Probe("nesterov_sgd(lambda p: 2 * p, torch.tensor([1.0], dtype=torch.float32), 0.1, 0.9, 3)", Close(L(-0.108352)),
                  label="three steps on p² from 1", hints=(
                      Hint(Close(L(0.062)), CLASSICAL),
                      Hint(Close(L(0.438295)), DAMPENED),
                      Hint(Close(L(0.512)), NO_MOMENTUM),
                  )),
            Probe("(nesterov_sgd(lambda p: p**3 - 1, torch.tensor([0.3, -0.5], dtype=torch.float32), 0.05, 0.8, 20) - "
                  "torch_nesterov(lambda p: p**3 - 1, torch.tensor([0.3, -0.5], dtype=torch.float32), 0.05, 0.8, 20)).abs().max()",
                  Close(0.0, rtol=0, atol=1e-6), label="difference from torch.optim.SGD after 20 steps"),
            Probe("(lambda p0: [nesterov_sgd(lambda p: 2 * p, p0, 0.1, 0.9, 3), p0][1])(torch.tensor([1.0, -2.0], dtype=torch.float32))",
                  Close(L(1.0, -2.0), rtol=0, atol=0), label="p0 after the call", hints=(Hint(ANY, P0_CHANGED),)),
            Probe("outcome(nesterov_sgd, lambda p: 2 * p, torch.tensor([1.0], dtype=torch.float32), 0.1, 0.9, 3, forbidden=('torch.optim.SGD',))",
                  Reference(), label="with torch.optim.SGD switched off", hints=(Hint(Raised("RuntimeError", "not allowed"), USED_OPTIM),)),
            # The result and p0 after the call, with torch.optim.SGD switched off.
            Probe("outcome(lambda p0: [nesterov_sgd(lambda p: {A} @ p - {b}, p0, {lr}, {mu}, {steps}), p0], {p0}, forbidden=('torch.optim.SGD',))",
                  Reference(), hidden=True, draw=_nesterov, weight=2, hints=(Hint(Raised("RuntimeError", "not allowed"), USED_OPTIM),)),
        )),
        Item("q4_train_fixed", points=2, title="Repairing a training loop", probes=(
            Probe("(lambda l: all(b <= a for a, b in zip(l, l[1:])))(train(make_params(0), 20))", Equal(True),
                  label="the loss goes down at every step", hints=(Hint(Equal(False), GOES_UP),)),
            Probe("train(make_params(0), 20)[-1]", Close(0.582249, rtol=1e-4), label="the loss at step 20",
                  hints=(Hint(Close(0.574555, rtol=1e-4), ACCUMULATED),)),
            Probe("[type(l).__name__ for l in train(make_params(0), 2)]", Equal(["float", "float"]), label="the losses are Python floats",
                  hints=(Hint(ANY, "return the losses as Python floats (loss.item()), not tensors."),)),
            Probe("(lambda ps: [train(ps, 3), [p.requires_grad for p in ps]][1])(make_params(0))", Equal([False] * 4),
                  label="the caller's tensors still do not require grad", hints=(Hint(ANY, TRAIN_REQUIRES_GRAD),)),
            Probe("(lambda ps: [train(ps, 3), [(p.detach() - q).abs().max() for p, q in zip(ps, make_params(0))]][1])(make_params(0))",
                  Close(L(0.0, 0.0, 0.0, 0.0), rtol=0, atol=0), label="the caller's tensors keep their values",
                  hints=(Hint(ANY, TRAIN_CHANGED),)),
            Probe("train(make_params({seed}), {steps})", Reference(), hidden=True, draw=_train, weight=2),
            Probe(_TRAIN_CALLER, Reference(rtol=0, atol=0), hidden=True, draw=_train,
                  hints=(Hint(ANY, "the tensors given to train changed (values, requires_grad or .grad): train must work on copies."),)),
        )),
        Item("q5_module", points=2, title="The same network as an nn.Module", probes=(
            Probe("isinstance(TwoLayerNet(3, 8, 2), torch.nn.Module)", Equal(True), label="TwoLayerNet is an nn.Module"),
            Probe("sum(p.numel() for p in TwoLayerNet(3, 8, 2).parameters())", Equal(3 * 8 + 8 + 8 * 2 + 2),
                  label="the number of parameters of TwoLayerNet(3, 8, 2)", hints=(
                      Hint(Equal(0), "the network has no parameters: create the layers as attributes (self.hidden = nn.Linear(D, H)) "
                                     "after super().__init__()."),
                  )),
            Probe("(lambda net, X: (net(X) - forward(X, net.hidden.weight.T, net.hidden.bias, net.out.weight.T, net.out.bias)).abs().max())"
                  "(TwoLayerNet(3, 8, 2), torch.randn(5, 3, dtype=torch.float32))", Close(0.0, rtol=0, atol=1e-6),
                  label="net(X) against forward with the layers' weights", hints=(
                      Hint(Where(lambda v: numeric(v)[1][0] > 1e-6), "net(X) differs from relu(X W1 + b1) W2 + b2 with W1 = "
                           "net.hidden.weight.T: apply self.hidden, then the ReLU, then self.out (and no ReLU after self.out)."),
                  )),
            Probe("[sum(p.numel() for p in TwoLayerNet({D}, {H}, {K}).parameters()), list(TwoLayerNet({D}, {H}, {K})"
                  "(torch.zeros({N}, {D}, dtype=torch.float32)).shape)]", Reference(), hidden=True, draw=_dims),
        )),
    ),
)
