"""Exercise 05: finite differences against autograd: forward and central differences, the best h, cost, gradcheck."""

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor


def L(values):
    """A nested list of numbers in the plain form that Close compares against."""
    if isinstance(values, (list, tuple)):
        return {"type": "list", "items": [L(v) for v in values]}
    return float(values)


F64 = "dtype=torch.float64"
# log10(best h / cube root of eps): the best h of central differences is near the cube root of eps, so this is
# near 0 for both dtypes (and a result near 0 is never mistaken for a doubled or negated value).
DECADES = ('__import__("math").log10(float(best_h({f}, {x}, torch.{dtype})) '
           '/ torch.finfo(torch.{dtype}).eps ** (1 / 3))')
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
            Probe(f"forward_difference(lambda t: t ** 2, torch.tensor(3.0, {F64}), 0.1)", Close(6.1, rtol=1e-9, atol=1e-9), hints=(
                Hint(Close(6.0, rtol=1e-9, atol=1e-9), "6.0 is the exact derivative, which the central difference also gives for x²; "
                     "the forward difference is (f(x + h) - f(x)) / h."),
                Hint(Close(5.9, rtol=1e-9, atol=1e-9), "that is the backward difference (f(x) - f(x - h)) / h."),
            )),
            Probe(f"forward_difference({{f}}, torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-7, atol=1e-9), hidden=True, draw=_scalar_function),
            Probe(f"forward_difference({{f}}, torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-7, atol=1e-9), hidden=True, draw=_scalar_function),
        )),
        Item("q2_central_difference", points=2.5, title="central_difference(f, x, h)", probes=(
            Probe(f"central_difference(lambda t: t ** 3, torch.tensor(2.0, {F64}), 0.1)", Close(12.01, rtol=1e-9, atol=1e-9), hints=(
                Hint(Close(24.02, rtol=1e-9, atol=1e-9), DOUBLED),
                Hint(Close(12.61, rtol=1e-9, atol=1e-9), "that is the forward difference; the central one is (f(x + h) - f(x - h)) / (2h)."),
            )),
            Probe(f"central_difference({{f}}, torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-7, atol=1e-9), hidden=True, draw=_scalar_function),
            Probe(f"central_difference({{f}}, torch.tensor({{x}}, {F64}), {{h}})", Reference(rtol=1e-7, atol=1e-9), hidden=True, draw=_scalar_function),
        )),
        Item("q3_best_h", points=4.25, title="best_h(f, x, dtype): the bottom of the V", probes=(
            Probe(DECADES.format(f="torch.sin", x=1.0, dtype="float64"), Close(0.0, rtol=0, atol=2), hints=(
                Hint(Close(-2.8, rtol=0, atol=1), "h ≈ 1e-8 is where *forward* differences are best (near √ε); best_h must use central differences."),
            )),
            Probe(DECADES.format(f="torch.sin", x=1.0, dtype="float32"), Close(0.0, rtol=0, atol=2), hints=(
                Hint(Close(-3.2, rtol=0, atol=1.2), "this is the best h for float64. In float32 the rounding error is far larger, so the best h is "
                     "larger too: evaluate f on torch.tensor(x, dtype=dtype), and compare with the float64 autograd derivative."),
            )),
            Probe(DECADES, Reference(rtol=0, atol=1.01), hidden=True, draw=_best_h_case),
            Probe(DECADES, Reference(rtol=0, atol=1.01), hidden=True, draw=_best_h_case),
        )),
        Item("q4_fd_gradient", points=4.25, title="fd_gradient(f, x, h) for a vector x", probes=(
            Probe(f"fd_gradient(lambda t: (t ** 2).sum(), torch.tensor([1., 2., 3.], {F64}), 1e-4)",
                  AllOf((Tensor(shape=(3,)), Close(L([2, 4, 6]), rtol=1e-6, atol=1e-8)))),
            Probe(f"fd_gradient(lambda t: t[0] * t[1] ** 2, torch.tensor([3., 2.], {F64}), 1e-5)", Close(L([4, 12]), rtol=1e-6, atol=1e-8), hints=(
                Hint(Close(L([8, 24]), rtol=1e-6, atol=1e-8), DOUBLED),
            )),
            Probe(f"(lambda x: (fd_gradient(lambda t: t.sum(), x, 1e-3), x.tolist())[1])(torch.tensor([1., 2.], {F64}))", Close(L([1, 2]), rtol=1e-12, atol=1e-12), hints=(
                Hint(Close(L([1, 2]), rtol=0, atol=0.1), "fd_gradient changed x: shift a copy of x (x.clone()), not x itself."),
            )),
            Probe(f"fd_gradient({{f}}, torch.tensor({{x}}, {F64}), 1e-5)", Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_vector_function),
            Probe(f"fd_gradient({{f}}, torch.tensor({{x}}, {F64}), 1e-5)", Reference(rtol=1e-6, atol=1e-8), hidden=True, draw=_vector_function),
        )),
        Item("q5_cost", points=0.25, title="Counting evaluations of f", probes=(
            Probe(f"(lambda c: (fd_gradient(lambda t: (c.append(1), (t ** 2).sum())[1], torch.ones(7, {F64}), 1e-4), len(c))[1])([])",
                  Equal(14), hints=(
                Hint(Equal(15), "one evaluation too many: the central differences need f(x + h·eᵢ) and f(x - h·eᵢ) only, not f(x)."),
            )),
            Probe("evals_forward_n50", Equal(51), hints=(
                Hint(Equal(100), "that is the count for central differences; forward differences share the one value f(x)."),
                Hint(Equal(50), "forward differences also need f(x) itself, once, shared by all n quotients."),
            )),
            Probe("evals_central_n50", Equal(100)),
            Probe("evals_reverse_n50", Equal(1), hints=(
                Hint(Equal(50), "reverse mode does not go coordinate by coordinate: one forward evaluation, then one backward pass, give the whole gradient."),
            )),
        )),
        Item("q6_gradcheck", points=0.25, title="torch.autograd.gradcheck", probes=(
            Probe("gc_ok", Equal(True), hints=(
                Hint(Equal(False), "gradcheck compares with finite differences, which are too inaccurate in float32: use a float64 input that requires grad."),
            )),
            Probe("gc_bad", Equal(False)),
            Probe("gc_error", Raised("GradcheckError", contains="Jacobian mismatch")),
        )),
    ),
)
