"""Exercise 04: backward() on scalars, vectors and matrices; vector-Jacobian products; accumulation."""

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor


def L(values):
    """A nested list of numbers in the plain form that Close compares against."""
    if isinstance(values, (list, tuple)):
        return {"type": "list", "items": [L(v) for v in values]}
    return float(values)


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

SPEC = Assignment(
    name="ex04",
    items=(
        Item("q1_seed_gradients", points=0.25, title="Three gradients by backward() (seed exercise 3)", probes=(
            Probe("x_a.grad", Close(8.0), hints=(
                Hint(Close(16.0), "16 = 2 x 8: " + ACCUMULATED),
            )),
            Probe("x_b.grad", Close(L([2, 4, 6])), hints=(
                Hint(Close(L([1, 2, 3])), "that is x itself; the gradient of x₁² + x₂² + x₃² is 2x."),
            )),
            Probe("x_c.grad", AllOf((Tensor(shape=(2,)), Close(L([10, 8])))), hints=(
                Hint(Close(L([5, 4])), "that is Wx; the gradient of xᵀWx is (W + Wᵀ)x, which is 2Wx for this symmetric W."),
                Hint(Tensor(shape=(1, 2)), "keep x 1-D (shape (2,)): x @ W @ x is then a scalar, with no transposes needed."),
            )),
        )),
        Item("q2_vjp", points=7.5, title="vjp(f, x, v): backward(gradient=v)", probes=(
            Probe("vjp(lambda t: t ** 2, torch.tensor([1., 2., 3.]), torch.tensor([1., 1., 1.]))", Close(L([2, 4, 6]))),
            Probe("vjp(lambda t: torch.stack([t[0] * t[1], t[1] + t[2]]), torch.tensor([1., 2., 3.]), torch.tensor([1., -1.]))",
                  AllOf((Tensor(shape=(3,)), Close(L([2, 0, -1])))), hints=(
                Hint(Close(L([2, 2, 1])), "that is the gradient of the sum of the outputs (v = ones): pass v as backward's gradient argument."),
            )),
            Probe("(lambda x: (vjp(lambda t: t * 3, x, torch.ones(2)), x.requires_grad, x.grad)[1:])(torch.tensor([1., 2.]))",
                  Equal([False, None]), hints=(Hint(Equal([True, None]), CHANGED_INPUT),)),
            Probe(f"vjp(lambda t: {{a}} * torch.tanh(torch.tensor({{M}}, {F64}) @ t), torch.tensor({{x}}, {F64}), torch.tensor({{v}}, {F64}))",
                  Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_vjp_linear),
            Probe(f"vjp(lambda t: torch.sin({{a}} * t) * t.sum(), torch.tensor({{x}}, {F64}), torch.tensor({{v}}, {F64}))",
                  Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_vjp_elementwise),
        )),
        Item("q3_grad_of", points=7.5, title="grad_of(f, x) with no leaks between calls", probes=(
            Probe("grad_of(lambda t: (t ** 2).sum(), torch.tensor([1., 2., 3.]))", Close(L([2, 4, 6]))),
            Probe("(lambda x: [grad_of(lambda t: (t ** 3).sum(), x), grad_of(lambda t: (t ** 3).sum(), x)])(torch.tensor([1., 2.]))",
                  Close(L([[3, 12], [3, 12]])), hints=(
                Hint(Close(L([[3, 12], [6, 24]])), "the second call saw the gradient left over from the first: " + ACCUMULATED),
                Hint(Close(L([[6, 24], [6, 24]])), "the second call added to the .grad tensor you returned from the first one: "
                     "work on a fresh leaf in each call and do not hand out a .grad that is reused."),
            )),
            Probe("(lambda x: (grad_of(lambda t: t.sum(), x), x.requires_grad)[1])(torch.tensor([1., 2.]))", Equal(False), hints=(
                Hint(Equal(True), CHANGED_INPUT),
            )),
            Probe("grad_of(lambda t: (t ** 2).sum(), torch.tensor([1., 2.], requires_grad=True))", Close(L([2, 4]))),
            Probe(f"grad_of(lambda t: (torch.sin({{a}} * t) * t).sum() + (t ** 2).mean(), torch.tensor({{x}}, {F64}))",
                  Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_grad_vector),
            Probe(f"grad_of(lambda t: torch.logsumexp({{a}} * t, 1).sum() - t.prod(), torch.tensor({{X}}, {F64}))",
                  Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_grad_matrix),
        )),
        Item("q4_no_grad", points=0.25, title="An update under torch.no_grad()", probes=(
            Probe("w_s", AllOf((Tensor(requires_grad=True, is_leaf=True), Close(L([1.4, -1.6])))), weight=2, hints=(
                Hint(Close(L([0.6, -2.4])), "wrong sign in the update: gradient descent moves against the gradient, w -= lr * grad."),
                Hint(Close(L([1.0, -2.0])), "w_s did not change. An in-place update of a leaf that requires grad raises outside "
                     "torch.no_grad(): do it inside `with torch.no_grad():`."),
                Hint(Tensor(is_leaf=False), "w_s = w_s - lr * w_s.grad makes a new, non-leaf tensor. Update in place (w_s -= ...) "
                     "inside `with torch.no_grad():`, so that w_s stays the same leaf."),
                Hint(Tensor(requires_grad=False), "w_s no longer requires grad: update it in place inside torch.no_grad() "
                     "instead of replacing it with a detached tensor."),
            )),
            Probe("pred_ng", AllOf((Tensor(requires_grad=False), Close(L([4.2, -4.8])))), hints=(
                Hint(Tensor(requires_grad=True), "computed outside torch.no_grad(), the result is recorded in the graph and requires grad."),
            )),
        )),
        Item("q5_repair", points=0.25, title="Repair: gradients that accumulate across a loop", probes=(
            Probe("[float(g) for g in grads_fixed]", Close(L([0, 4, 12])), hints=(
                Hint(Close(L([0, 4, 16])), "the last gradient includes the previous ones: " + ACCUMULATED),
            )),
            Probe("w_t", AllOf((Tensor(is_leaf=True, requires_grad=True), Close(1.7852516, rtol=1e-5))), hints=(
                Hint(Close(4.0504980, rtol=1e-4), "this is the result of the broken loop: " + ACCUMULATED),
                Hint(Close(-7.3051751, rtol=1e-4), "wrong sign in the update: gradient descent moves against the gradient."),
            )),
        )),
        Item("q6_retain_graph", points=0.25, title="Backward twice: retain_graph and autograd.grad", probes=(
            Probe("second_error", Raised("RuntimeError", contains="second time")),
            Probe("x_r.grad", Close(24.0), hints=(
                Hint(Close(12.0), "x_r.grad is 2 x 12 after two backward() calls: gradients from both calls are added."),
            )),
            Probe("g_r", Close(12.0), hints=(
                Hint(Close(24.0), "torch.autograd.grad returns the gradient of this one computation; it does not read or add to x_r.grad."),
            )),
        )),
    ),
)
