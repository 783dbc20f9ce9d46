"""Exercise 05: finite differences against autograd: forward and central differences, the best h, cost, gradcheck."""

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor
from .evidence import nested_list

F64 = "dtype=torch.float64"
# log10(best h / cube root of eps): the best h of central differences is near the cube root of eps, so this is
# near 0 for both dtypes (and a result near 0 is never mistaken for a doubled or negated value).
DECADES = ('__import__("math").log10(float(best_h({f}, {x}, torch.{dtype})) '
           '/ torch.finfo(torch.{dtype}).eps ** (1 / 3))')
F32 = "dtype=torch.float32"
IN_FLOAT64 = ("that is the float64 result, but x is float32: compute in the dtype of x (do not convert it); the float32 rounding "
              "error is part of what this exercise measures.")
EXACT = "that is the exact derivative (what autograd gives), not the difference quotient: compute the finite difference itself."
DOUBLED = "the result is twice the difference quotient: the central difference divides by 2h, the distance between x - h and x + h."


def _scalar_function(rng):
    a, b, c = (round(rng.uniform(0.5, 2), 3) for _ in range(3))
    return {"f": rng.choice([f"lambda t: {a} * torch.sin({b} * t) + t ** 3",
                             f"lambda t: torch.exp({a} * t) / (1 + t ** 2)",
                             f"lambda t: torch.tanh({a} * t) * torch.cos({b} * t) + {c} * t ** 2"]),
            "x": round(rng.uniform(-1.5, 1.5), 3), "h": rng.choice([1e-1, 3e-2, 1e-2, 3e-3, 1e-3])}


def _best_h_case(rng):
    a, b = round(rng.uniform(0.5, 2), 3), round(rng.uniform(0.5, 1.5), 3)
    return {"f": rng.choice([f"lambda t: torch.exp({a} * t) + torch.sin({b} * t)",
                             f"lambda t: torch.log(1 + {a} * t ** 2) + t ** 3",
                             f"lambda t: {a} * torch.sin({b} * t)"]),
            "x": round(rng.uniform(0.3, 1.5), 3), "dtype": rng.choice(["float64", "float32"])}


def _scalar_function_f32(rng):
    """The same functions on a float32 x: a result computed in float64 differs from the float32 quotient."""
    return {**_scalar_function(rng), "h": rng.choice([1e-2, 3e-3, 1e-3])}


def _large_h(rng):
    n = rng.randint(1, 4)
    return {"x": [round(rng.uniform(-1.5, 1.5), 3) for _ in range(n)], "h": rng.choice([0.1, 0.2, 0.3]),
            "a": round(rng.uniform(0.5, 2), 3)}


def _vector_function(rng):
    n = rng.randint(1, 5)
    a = round(rng.uniform(0.5, 2), 3)
    return {"f": rng.choice([f"lambda t: (torch.sin({a} * t) * t).sum() + t.prod()",
                             f"lambda t: torch.logsumexp({a} * t, 0) + (t ** 3).mean()"]),
            "x": [round(rng.uniform(-1.5, 1.5), 3) for _ in range(n)]}


SPEC = Assignment(
    name="ex05",
    items=(
        Item("q1_forward_difference", points=2.5, title="forward_difference(f, x, h)", probes=(
            Probe(f"forward_difference(lambda t: t ** 2, torch.tensor(3.0, {F64}), 0.1)", Close(6.1, rtol=1e-9, atol=1e-9),
                  label="forward_difference of x² at 3, h = 0.1", hints=(
                Hint(Close(6.0, rtol=1e-9, atol=1e-9), "6.0 is the exact derivative, which autograd and, for x², the central difference "
                     "give; the forward difference is (f(x + h) - f(x)) / h."),
                Hint(Close(6.1, rtol=1e-5, atol=0), "this is 6.1 only to float32 precision: compute in the dtype of x (float64 here), do not convert it."),
                Hint(Close(5.9, rtol=1e-9, atol=1e-9), "that is the backward difference (f(x) - f(x - h)) / h."),
            )),
            # "Compute in the dtype of x": in float32 the quotient differs from the float64 one in the fifth digit.
            Probe(f"forward_difference(lambda t: t * t, torch.tensor(3.0, {F32}), 1e-3)", Close(6.000518321990967, rtol=2e-6, atol=0),
                  label="forward_difference in float32", hints=(Hint(Close(6.001, rtol=1e-6, atol=0), IN_FLOAT64), Hint(Close(6.0, rtol=1e-6, atol=0), EXACT))),
            Probe(f"forward_difference({{f}}, torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-7, atol=1e-9), hidden=True, draw=_scalar_function,
                  label="a smooth function in float64"),
            Probe(f"forward_difference({{f}}, torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-7, atol=1e-9), hidden=True, draw=_scalar_function,
                  label="a smooth function in float64"),
            Probe(f"forward_difference({{f}}, torch.tensor({{x}}, {F32}), {{h}})", Reference(rtol=2e-6, atol=1e-9), hidden=True, draw=_scalar_function_f32,
                  label="a smooth function in float32"),
        )),
        Item("q2_central_difference", points=2.5, title="central_difference(f, x, h)", probes=(
            Probe(f"central_difference(lambda t: t ** 3, torch.tensor(2.0, {F64}), 0.1)", Close(12.01, rtol=1e-9, atol=1e-9),
                  label="central_difference of x³ at 2, h = 0.1", hints=(
                Hint(Close(12.0, rtol=1e-9, atol=1e-9), EXACT),
                Hint(Close(24.02, rtol=1e-9, atol=1e-9), DOUBLED),
                Hint(Close(12.61, rtol=1e-9, atol=1e-9), "that is the forward difference; the central one is (f(x + h) - f(x - h)) / (2h)."),
            )),
            Probe(f"central_difference(lambda t: t * t * t, torch.tensor(2.0, {F32}), 1e-3)", Close(11.999844551086426, rtol=2e-6, atol=0),
                  label="central_difference in float32", hints=(Hint(Close(12.000001, rtol=1e-6, atol=0), IN_FLOAT64), Hint(Close(12.0, rtol=1e-6, atol=0), EXACT))),
            Probe(f"central_difference({{f}}, torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-7, atol=1e-9), hidden=True, draw=_scalar_function,
                  label="a smooth function in float64"),
            Probe(f"central_difference({{f}}, torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-7, atol=1e-9), hidden=True, draw=_scalar_function,
                  label="a smooth function in float64"),
            Probe(f"central_difference({{f}}, torch.tensor({{x}}, {F32}), {{h}})", Reference(rtol=2e-6, atol=1e-9), hidden=True, draw=_scalar_function_f32,
                  label="a smooth function in float32"),
        )),
        Item("q3_best_h", points=4.25, title="best_h(f, x, dtype): the bottom of the V", probes=(
            Probe(DECADES.format(f="torch.sin", x=1.0, dtype="float64"), Close(0.0, rtol=0, atol=2), label="best_h for sin at 1 in float64", hints=(
                Hint(Close(-2.8, rtol=0, atol=1), "h ≈ 1e-8 is where *forward* differences are best (near √ε); best_h must use central differences."),
            )),
            Probe(DECADES.format(f="torch.sin", x=1.0, dtype="float32"), Close(0.0, rtol=0, atol=2), label="best_h for sin at 1 in float32", hints=(
                Hint(Close(-3.2, rtol=0, atol=1.2), "this is the best h for float64. In float32 the rounding error is far larger, so the best h is "
                     "larger too: evaluate f on torch.tensor(x, dtype=dtype), and compare with the float64 autograd derivative."),
            )),
            Probe(DECADES, Reference(rtol=0, atol=1.01), hidden=True, draw=_best_h_case, label="another function, point and dtype"),
            Probe(DECADES, Reference(rtol=0, atol=1.01), hidden=True, draw=_best_h_case, label="another function, point and dtype"),
            Probe("isinstance(best_h(torch.sin, 1.0, torch.float64), float)", Equal(True), label="best_h returns a Python float", hints=(
                Hint(Equal(False), "best_h must return a Python float, one of the numbers in H_GRID (float(h) or h.item() for a tensor)."),
            )),
        )),
        Item("q4_fd_gradient", points=4.25, title="fd_gradient(f, x, h) for a vector x", probes=(
            Probe(f"fd_gradient(lambda t: (t ** 2).sum(), torch.tensor([1., 2., 3.], {F64}), 1e-4)",
                  AllOf((Tensor(shape=(3,)), Close(nested_list([2, 4, 6]), rtol=1e-6, atol=1e-8))), label="fd_gradient of the sum of squares"),
            # With a large h the difference quotient of t³ is 3x² + h², not the gradient 3x²: a shortcut through autograd shows.
            Probe(f"fd_gradient(lambda t: (t * t * t).sum(), torch.tensor([1., 2.], {F64}), 0.1)", Close(nested_list([3.01, 12.01]), rtol=1e-9, atol=1e-9),
                  label="fd_gradient of the sum of cubes with h = 0.1", hints=(
                Hint(Close(nested_list([3.0, 12.0]), rtol=1e-9, atol=1e-9), EXACT),
                Hint(Close(nested_list([6.02, 24.02]), rtol=1e-9, atol=1e-9), DOUBLED),
            )),
            Probe(f"fd_gradient(lambda t: t[0] * t[1] ** 2, torch.tensor([3., 2.], {F64}), 1e-5)", Close(nested_list([4, 12]), rtol=1e-6, atol=1e-8),
                  label="fd_gradient of t0 t1²", hints=(
                Hint(Close(nested_list([8, 24]), rtol=1e-6, atol=1e-8), DOUBLED),
            )),
            Probe(f"(lambda x: (fd_gradient(lambda t: t.sum(), x, 1e-3), x.tolist())[1])(torch.tensor([1., 2.], {F64}))", Close(nested_list([1, 2]), rtol=1e-12, atol=1e-12),
                  label="x unchanged after fd_gradient", hints=(
                Hint(Close(nested_list([1, 2]), rtol=0, atol=0.1), "fd_gradient changed x: shift a copy of x (x.clone()), not x itself."),
            )),
            Probe(f"fd_gradient({{f}}, torch.tensor({{x}}, {F64}), 1e-5)", Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_vector_function,
                  label="a smooth function of a vector"),
            Probe(f"fd_gradient({{f}}, torch.tensor({{x}}, {F64}), 1e-5)", Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_vector_function,
                  label="a smooth function of a vector"),
            Probe(f"fd_gradient(lambda t: (torch.sin({{a}} * t) * t * t).sum(), torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-6, atol=1e-8),
                  hidden=True, draw=_large_h, label="a large h, where the quotient differs from the gradient"),
            Probe(f"fd_gradient(lambda t: torch.relu(t).sum() * {{a}}, torch.tensor([0.0], {F64}), {{h}})", Reference(rtol=1e-6, atol=1e-8),
                  hidden=True, draw=_large_h, label="a one-element x at relu's kink"),
        )),
        Item("q5_cost", points=0.25, title="Counting evaluations of f", probes=(
            Probe(f"(lambda c: (fd_gradient(lambda t: (c.append(1), (t ** 2).sum())[1], torch.ones(7, {F64}), 1e-4), len(c))[1])([])",
                  Equal(14), label="calls of f by fd_gradient for n = 7", hints=(
                Hint(Equal(15), "one evaluation too many: the central differences need f(x + h·eᵢ) and f(x - h·eᵢ) only, not f(x)."),
            )),
            Probe("evals_forward_n50", Equal(51), label="evals_forward_n50", hints=(
                Hint(Equal(100), "that is the count for central differences; forward differences share the one value f(x)."),
                Hint(Equal(50), "forward differences also need f(x) itself, once, shared by all n quotients."),
            )),
            Probe("evals_central_n50", Equal(100), label="evals_central_n50", hints=(
                Hint(Equal(101), "the central differences need f(x + h·eᵢ) and f(x - h·eᵢ) only, not f(x): 2n calls."),
                Hint(Equal(51), "that is the count for forward differences; central differences need two calls per coordinate."),
            )),
            Probe("evals_reverse_n50", Equal(1), label="evals_reverse_n50", hints=(
                Hint(Equal(50), "reverse mode does not go coordinate by coordinate: one forward evaluation, then one backward pass, give the whole gradient."),
            )),
        )),
        Item("q6_gradcheck", points=0.25, title="torch.autograd.gradcheck", probes=(
            Probe("gc_ok", Equal(True), label="gc_ok", hints=(
                Hint(Equal(False), "gradcheck compares with finite differences, which are too inaccurate in float32: use a float64 input that requires grad."),
            )),
            Probe("gc_bad", Equal(False), label="gc_bad", hints=(
                Hint(Equal(True), "gradcheck should fail on BadSquare: its backward returns grad_output * t instead of 2 * t * grad_output. "
                     "Run it on a float64 input that requires grad."),
            )),
            Probe("gc_error", Raised("GradcheckError", contains="Jacobian mismatch"), label="the exception gc_error"),
        )),
    ),
)
