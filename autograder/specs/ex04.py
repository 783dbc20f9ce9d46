"""Exercise 04: backward() on scalars, vectors and matrices; vector-Jacobian products; accumulation."""

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor
from .evidence import AllNan, nested_list

ACCUMULATED = ("gradients accumulate: every backward() adds to .grad. Zero the gradient before each backward() "
               "(w.grad = None, w.grad.zero_(), or optimizer.zero_grad()).")
CHANGED_INPUT = ("the function changed the caller's tensor x (its requires_grad flag or its .grad). Work on a fresh "
                 "leaf instead: x.detach().clone().requires_grad_().")


def _vec(rng, n, lo=-2.0, hi=2.0):
    return [round(rng.uniform(lo, hi), 3) for _ in range(n)]


def _vjp_linear(rng):
    m, n = rng.randint(1, 4), rng.randint(1, 4)
    return {"M": [_vec(rng, n) for _ in range(m)], "x": _vec(rng, n), "v": _vec(rng, m), "a": round(rng.uniform(0.5, 2), 3)}


def _vjp_elementwise(rng):
    n = rng.randint(2, 5)
    return {"x": _vec(rng, n), "v": _vec(rng, n), "a": round(rng.uniform(0.5, 2), 3)}


def _grad_vector(rng):
    return {"x": _vec(rng, rng.randint(1, 5)), "a": round(rng.uniform(0.5, 2), 3)}


def _grad_matrix(rng):
    return {"X": [_vec(rng, 3) for _ in range(2)], "a": round(rng.uniform(0.5, 2), 3)}


F64 = "dtype=torch.float64"
# An f that gives nan unless its argument requires grad: only an autograd answer can be right on it.
NEEDS_GRAD = "lambda t: ({f}) if t.requires_grad else t * float('nan')"
NOT_AUTOGRAD = ("f was evaluated only on tensors that do not require grad (this check's f then returns nan): compute "
                "with autograd on a copy that requires grad, x.detach().clone().requires_grad_().")
# The leaf loss_s was computed from, found through loss_s's graph (Sum <- Pow <- Sub <- AccumulateGrad).
ORIGINAL_W_S = "loss_s.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].variable"


def _none_grad(name):
    return Hint(Equal(None), f"{name}.grad is None: no backward() reached {name}. Call backward() on a result computed from this very {name}.")


def _vjp_edges(rng):
    a = round(rng.uniform(0.5, 2), 3)
    v = _vec(rng, 3)
    return [
        {"f": f"lambda t: torch.relu(t) * {a}", "x": [0.0, 1.0, -1.0], "v": v, "_label": "a function with a kink at 0 (relu)"},
        {"f": NEEDS_GRAD.format(f=f"t ** 2 * {a}"), "x": _vec(rng, 3), "v": v, "_label": "an f that only works on a tensor that requires grad"},
        {"f": f"lambda t: (t * {a}).sum().reshape(1)", "x": _vec(rng, 3), "v": [v[0]], "_label": "an f with a one-element output"},
    ]


def _grad_of_edges(rng):
    a = round(rng.uniform(0.5, 2), 3)
    return [
        {"f": f"lambda t: torch.sin({a} * t) * t", "x": f"torch.tensor({round(rng.uniform(-2, 2), 3)}, {F64})", "_label": "a 0-d x"},
        {"f": f"lambda t: (torch.relu(t) * {a}).sum()", "x": f"torch.tensor([0.0, 1.0, -1.0], {F64})", "_label": "a function with a kink at 0 (relu)"},
        {"f": f"lambda t: (t * torch.tensor({a}, {F64})).sum() + torch.tensor(1.0, {F64})", "x": f"torch.tensor({_vec(rng, 3)}, {F64}, requires_grad=True)",
         "_label": "an x that requires grad, and a constant entering the graph"},
        {"f": f"lambda t: (t ** 2).sum() * {a}", "x": f"torch.tensor({[round(rng.uniform(1e3, 5e3), 1) for _ in range(2)]}, {F64})",
         "_label": "large magnitudes"},
        {"f": "lambda t: t.sum()", "x": f"torch.zeros(0, {F64})", "_label": "an empty x"},
    ]

SPEC = Assignment(
    name="ex04",
    items=(
        Item("q1_seed_gradients", points=0.25, title="Three gradients by backward() (seed exercise 3)", probes=(
            Probe("x_a.grad", Close(8.0), label="x_a.grad", hints=(
                Hint(Close(16.0), "16 = 2 x 8: " + ACCUMULATED), _none_grad("x_a"),
            )),
            Probe("x_b.grad", Close(nested_list([2, 4, 6])), label="x_b.grad", hints=(_none_grad("x_b"),
                Hint(Close(nested_list([4, 8, 12])), "x_b.grad is 2 x (2, 4, 6): " + ACCUMULATED),
                Hint(Close(nested_list([1, 2, 3])), "that is x itself; the gradient of x₁² + x₂² + x₃² is 2x."),
            )),
            Probe("x_c.grad", AllOf((Tensor(shape=(2,)), Close(nested_list([10, 8])))), label="x_c.grad", hints=(_none_grad("x_c"),
                Hint(Close(nested_list([5, 4])), "that is Wx; the gradient of xᵀWx is (W + Wᵀ)x, which is 2Wx for this symmetric W."),
                Hint(Tensor(shape=(1, 2)), "keep x 1-D (shape (2,)): x @ W @ x is then a scalar, with no transposes needed."),
            )),
        )),
        Item("q2_vjp", points=7.5, title="vjp(f, x, v): backward(gradient=v)", probes=(
            Probe("vjp(lambda t: t ** 2, torch.tensor([1., 2., 3.]), torch.tensor([1., 1., 1.]))", Close(nested_list([2, 4, 6])), label="vjp of t² with v = ones"),
            Probe("vjp(lambda t: torch.stack([t[0] + 2 * t[1], 3 * t[1]]), torch.tensor([1., 1.]), torch.tensor([1., 1.]))", Close(nested_list([1, 5])),
                  label="vjp with a non-symmetric Jacobian", hints=(
                Hint(Close(nested_list([3, 3])), "that is J v (the Jacobian times v); the vector-Jacobian product is vᵀJ, the rows of J weighted by v."),
            )),
            Probe("vjp(lambda t: torch.stack([t[0] * t[1], t[1] + t[2]]), torch.tensor([1., 2., 3.]), torch.tensor([1., -1.]))",
                  AllOf((Tensor(shape=(3,)), Close(nested_list([2, 0, -1])))), label="vjp of the example in the question", hints=(
                Hint(Close(nested_list([2, 2, 1])), "that is the gradient of the sum of the outputs (v = ones): pass v as backward's gradient argument."),
            )),
            Probe("(lambda x: (vjp(lambda t: t * 3, x, torch.ones(2)), x.requires_grad, x.grad)[1:])(torch.tensor([1., 2.]))",
                  Equal([False, None]), label="x keeps requires_grad False and .grad None", hints=(Hint(Equal([True, None]), CHANGED_INPUT),)),
            Probe(f"vjp(lambda t: {{a}} * torch.tanh(torch.tensor({{M}}, {F64}) @ t), torch.tensor({{x}}, {F64}), torch.tensor({{v}}, {F64}))",
                  Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_vjp_linear, label="tanh of a linear map"),
            Probe(f"vjp(lambda t: torch.sin({{a}} * t) * t.sum(), torch.tensor({{x}}, {F64}), torch.tensor({{v}}, {F64}))",
                  Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_vjp_elementwise, label="an elementwise function times a sum"),
            Probe(f"vjp({{f}}, torch.tensor({{x}}, {F64}), torch.tensor({{v}}, {F64}))", Reference(rtol=1e-6, atol=1e-8), hidden=True, weight=2,
                  draw=_vjp_edges, hints=(Hint(AllNan(), NOT_AUTOGRAD),)),
        )),
        Item("q3_grad_of", points=7.5, title="grad_of(f, x) with no leaks between calls", probes=(
            Probe("grad_of(lambda t: (t ** 2).sum(), torch.tensor([1., 2., 3.]))", Close(nested_list([2, 4, 6])), label="grad_of (t²).sum()"),
            Probe("(lambda x: [grad_of(lambda t: (t ** 3).sum(), x), grad_of(lambda t: (t ** 3).sum(), x)])(torch.tensor([1., 2.]))",
                  Close(nested_list([[3, 12], [3, 12]])), label="two calls with the same x agree", hints=(
                Hint(Close(nested_list([[3, 12], [6, 24]])), "the second call saw the gradient left over from the first: " + ACCUMULATED),
                Hint(Close(nested_list([[6, 24], [6, 24]])), "the second call added to the .grad tensor you returned from the first one: "
                     "work on a fresh leaf in each call and do not hand out a .grad that is reused."),
            )),
            Probe("(lambda x: (grad_of(lambda t: t.sum(), x), x.requires_grad)[1])(torch.tensor([1., 2.]))", Equal(False),
                  label="x keeps requires_grad False", hints=(
                Hint(Equal(True), CHANGED_INPUT),
            )),
            Probe("grad_of(lambda t: (t ** 2).sum(), torch.tensor([1., 2.], requires_grad=True))", Close(nested_list([2, 4])), label="grad_of for an x that requires grad"),
            Probe("(lambda x: (grad_of(lambda t: (t ** 2).sum(), x), x.grad)[1])(torch.tensor([1., 2.], requires_grad=True))", Equal(None),
                  label="x.grad stays None", hints=(
                Hint(Close(nested_list([2, 4])), "grad_of left its gradient in the caller's x.grad: work on a fresh leaf, x.detach().clone().requires_grad_()."),)),
            Probe(f"grad_of(lambda t: (torch.sin({{a}} * t) * t).sum() + (t ** 2).mean(), torch.tensor({{x}}, {F64}))",
                  Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_grad_vector, label="a vector x"),
            Probe(f"grad_of(lambda t: torch.logsumexp({{a}} * t, 1).sum() - t.prod(), torch.tensor({{X}}, {F64}))",
                  Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_grad_matrix, label="a matrix x"),
            Probe("grad_of({f}, {x})", Reference(rtol=1e-6, atol=1e-8), hidden=True, weight=2, draw=_grad_of_edges),
        )),
        Item("q4_no_grad", points=0.25, title="An update under torch.no_grad()", probes=(
            Probe("w_s", AllOf((Tensor(requires_grad=True, is_leaf=True), Close(nested_list([1.4, -1.6])))), weight=2, label="w_s after the step", hints=(
                Hint(Close(nested_list([0.6, -2.4])), "wrong sign in the update: gradient descent moves against the gradient, w -= lr * grad."),
                Hint(Close(nested_list([1.0, -2.0])), "w_s did not change. An in-place update of a leaf that requires grad raises outside "
                     "torch.no_grad(): do it inside `with torch.no_grad():`."),
                Hint(Tensor(is_leaf=False), "w_s = w_s - lr * w_s.grad makes a new, non-leaf tensor. Update in place (w_s -= ...) "
                     "inside `with torch.no_grad():`, so that w_s stays the same leaf."),
                Hint(Tensor(requires_grad=False), "w_s no longer requires grad: update it in place inside torch.no_grad() "
                     "instead of replacing it with a detached tensor."),
            )),
            # "in place, so that w_s stays the same leaf": the tensor loss_s was computed from, changed through autograd's own
            # in-place operations (a .data update leaves the version counter at 0).
            Probe(f"{ORIGINAL_W_S} is w_s", Equal(True), label="w_s is still the tensor loss_s was computed from", hints=(
                Hint(Equal(False), "w_s is now a different tensor from the one loss_s was computed from: a new tensor was bound to the "
                     "name w_s. Update it in place (w_s -= ... or w_s.sub_(...)) inside `with torch.no_grad():`."),
            )),
            Probe("w_s._version > 0", Equal(True), label="w_s updated by an in-place operation", hints=(
                Hint(Equal(False), "w_s's version counter did not move, so it was not updated by an in-place operation on w_s itself "
                     "(a .data update bypasses autograd's checks): write w_s -= 0.1 * w_s.grad inside `with torch.no_grad():`."),
            )),
            Probe("pred_ng", label="pred_ng", expect=AllOf((Tensor(requires_grad=False), Close(nested_list([4.2, -4.8])))), hints=(
                Hint(Tensor(requires_grad=True), "computed outside torch.no_grad(), the result is recorded in the graph and requires grad."),
            )),
        )),
        Item("q5_repair", points=0.25, title="Repair: gradients that accumulate across a loop", probes=(
            Probe("[float(g) for g in grads_fixed]", Close(nested_list([0, 4, 12])), label="grads_fixed", hints=(
                Hint(Close(nested_list([0, 4, 16])), "the last gradient includes the previous ones: " + ACCUMULATED),
            )),
            Probe("w_t", label="w_t after five steps", expect=AllOf((Tensor(is_leaf=True, requires_grad=True), Close(1.7852516, rtol=1e-5))), hints=(
                Hint(Close(4.0504980, rtol=1e-4), "this is the result of the broken loop: " + ACCUMULATED),
                Hint(Close(-7.3051751, rtol=1e-4), "wrong sign in the update: gradient descent moves against the gradient."),
            )),
        )),
        Item("q6_retain_graph", points=0.25, title="Backward twice: retain_graph and autograd.grad", probes=(
            Probe("second_error", Raised("RuntimeError", contains="second time"), label="the exception second_error"),
            Probe("x_r.grad", Close(24.0), label="x_r.grad after two backward() calls", hints=(
                Hint(Close(36.0), "x_r.grad is 36 = 3 x 12: a third backward() ran; compute g_r with torch.autograd.grad, which leaves x_r.grad alone."),
                Hint(Close(12.0), "x_r.grad is 2 x 12 after two backward() calls: gradients from both calls are added."),
            )),
            Probe("g_r", Close(12.0), label="g_r", hints=(
                Hint(Close(24.0), "torch.autograd.grad returns the gradient of this one computation; it does not read or add to x_r.grad."),
            )),
        )),
    ),
)
