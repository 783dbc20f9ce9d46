"""Exercise 06: the chain rule as a sum over paths, walking grad_fn, and a tiny reverse-mode engine."""


from ..spec import Assignment, Close, Equal, Hint, Item, Probe, Reference
from .evidence import L, Where


def _unsorted(names):
    """The names, in another order (a list as probes report it)."""
    return Where(lambda value: sorted(value["items"]) == sorted(names) and value["items"] != sorted(names))


NONE_AS_PATH_END = ("a None entry of next_functions (here the constant, which needs no gradient) was counted as the end "
                    "of a path: a path ends only at an AccumulateGrad node. Skip None entries.")
NONE_AS_NODE = "a None entry of next_functions (here the constant) was counted as a node: None is not a node. Skip it."
NO_INPUT = ("the sigmoid node does not list its input: with out = Value(s) instead of Value(s, (self,)), backward() never "
            "reaches self's own inputs (here a and b of a * b), so their gradients stay 0.")
VISITED_TWICE = ("a node was counted more than once: u + v and u - v share the leaves u and v, so a walk that "
                 "does not remember which nodes it has already seen visits them once per path. Keep a set of visited nodes.")

# Expressions in two leaves a, b for the hidden graph probes (each one a different graph shape).
_GRAPHS = (
    "torch.sin(a * b) + a * {c}",
    "(a + b) * (a - b) + torch.exp(a)",
    "torch.tanh(a) * torch.tanh(a) * b",
    "(a * {c} + b).sigmoid() * a",
    "torch.log(a * a + 1) / (b * b + 1)",
    "(a * b) ** 2 - (a * b) * {c}",
)
_VALUE_EXPRESSIONS = (
    "lambda a, b: (a * b).sigmoid() + a * {c}",
    "lambda a, b: a.sigmoid() * b.sigmoid() - a",
    "lambda a, b: (a + {c}).sigmoid() * (a * b).sigmoid()",
)
_DIV_EXPRESSIONS = (
    "lambda a, b: a / b + b / {c}",
    "lambda a, b: (a * b) / (a + {d})",
    "lambda a, b: (a / b) * (b / (a + {d})) + a / a",
    "lambda a, b: (a * a + {c}) / (b * b + 1)",
)


def _uv(rng):
    """Typical numbers, and u = v, where y = u − v = 0 makes the paths through x vanish."""
    u = round(rng.uniform(-3, 3), 3)
    return [{"u": round(rng.uniform(-3, 3), 3), "v": round(rng.uniform(-3, 3), 3), "_label": "typical u and v"},
            {"u": u, "v": u, "_label": "u = v"}]


def _leaf(value):
    return f"torch.tensor({value}, dtype=torch.float32, requires_grad=True)"


def _graph(rng):
    """A typical graph in two leaves, one into which a constant enters, and one on a single leaf."""
    body = rng.choice(_GRAPHS).format(c=round(rng.uniform(0.5, 2), 2))
    a, b, c = round(rng.uniform(-2, 2), 3), round(rng.uniform(-2, 2), 3), round(rng.uniform(0.5, 2), 2)
    constant = f"torch.tensor({c}, dtype=torch.float32)"
    return [{"t": f"(lambda a, b: {body})({_leaf(a)}, {_leaf(b)})", "_label": "a graph in two leaves"},
            {"t": f"(lambda a, b, k: torch.sin(a * k) * (b + k) + a * b)({_leaf(a)}, {_leaf(b)}, {constant})",
             "_label": "a graph into which a constant enters"},
            {"t": f"(lambda a: torch.exp(a) * a + a)({_leaf(a)})", "_label": "a graph on one leaf"}]


def _ladder(rng):
    return {"n": rng.randint(11, 15), "_label": "a deep ladder"}


def _value_expr(rng):
    body = rng.choice(_VALUE_EXPRESSIONS).format(c=round(rng.uniform(-2, 2), 2))
    return [{"f": body, "a": round(rng.uniform(-2.5, 2.5), 3), "b": round(rng.uniform(-2.5, 2.5), 3), "_label": "an expression in a and b"},
            {"f": "lambda a, b: (a * b).sigmoid()", "a": round(rng.uniform(-2.5, 2.5), 3), "b": round(rng.uniform(-2.5, 2.5), 3),
             "_label": "sigmoid of a computed value"},
            {"f": "lambda a, b: a.sigmoid() * b", "a": 0.0, "b": round(rng.uniform(0.5, 2.5), 3), "_label": "sigmoid at exactly 0"}]


def _div_expr(rng):
    body = rng.choice(_DIV_EXPRESSIONS).format(c=round(rng.uniform(0.5, 3), 2), d=round(rng.uniform(5, 8), 2))
    sign = rng.choice((-1, 1))
    return [{"f": body, "a": round(rng.uniform(0.5, 3), 3), "b": round(sign * rng.uniform(0.5, 3), 3), "_label": "an expression in a and b"},
            {"f": f"lambda a, b: (a * b) / {round(rng.uniform(2, 9), 2)}", "a": round(rng.uniform(-3, 3), 3), "b": round(rng.uniform(-3, 3), 3),
             "_label": "division by a plain number"}]


_EXAMPLE = ("(lambda u, v: (u + v) * (u - v))(torch.tensor(3.0, dtype=torch.float32, requires_grad=True), "
            "torch.tensor(2.0, dtype=torch.float32, requires_grad=True))")
_WITH_CONSTANT = "torch.tensor(2.0, dtype=torch.float32, requires_grad=True) * torch.tensor(5.0, dtype=torch.float32)"
_SIGMOID_OF_PRODUCT = (0.679178699175393, 0.3268424906427211, 0.10894749688090702)  # σ(0.75), σ'(0.75)·1.5, σ'(0.75)·0.5

SPEC = Assignment(
    name="ex06",
    items=(
        Item("q1_path_sum", points=2, title="dz/du and dz/dv as sums over paths", probes=(
            Probe("path_products(3.0, 2.0)[0]", Close(L(1.0, 5.0)), label="du_paths at u = 3, v = 2", hints=(
                Hint(Close(L(5.0, 1.0)), "the two products are in the wrong order: first the path through x (∂z/∂x = y), then the "
                                         "path through y (∂z/∂y = x)."),
            )),
            Probe("path_products(3.0, 2.0)[1]", Close(L(1.0, -5.0)), label="dv_paths at u = 3, v = 2", hints=(
                Hint(Close(L(1.0, 5.0)), "along the path v → y → z the local derivative ∂y/∂v of y = u − v is −1, not 1."),
                Hint(Close(L(-1.0, 5.0)), "the −1 belongs to the path through y = u − v (the second one), not to the path through x."),
            )),
            Probe("[auto_du, auto_dv]", Close(L(6.0, -4.0)), label="auto_du and auto_dv", hints=(
                Hint(Close(L(12.0, -8.0)), "the gradients accumulated: backward() ran twice on the same leaves without zeroing .grad."),
            )),
            Probe("path_products({u}, {v})", Reference(), hidden=True, draw=_uv, weight=2),
        )),
        Item("q2_node_names", points=2, title="Walking grad_fn.next_functions", probes=(
            Probe(f"node_names({_EXAMPLE})", Equal(["AccumulateGrad", "AccumulateGrad", "AddBackward0", "MulBackward0", "SubBackward0"]),
                  label="node_names of (u + v) * (u − v)", hints=(
                      Hint(Equal(["AccumulateGrad"] * 4 + ["AddBackward0", "MulBackward0", "SubBackward0"]), VISITED_TWICE),
                      Hint(Equal(["AddBackward0", "MulBackward0", "SubBackward0"]), "the leaves' AccumulateGrad nodes are nodes of the graph too: include them."),
                      Hint(_unsorted(["AccumulateGrad", "AccumulateGrad", "AddBackward0", "MulBackward0", "SubBackward0"]),
                           "the names are all there, in another order: sort them alphabetically (sorted(names))."),
                  )),
            Probe(f"node_names({_WITH_CONSTANT})", Equal(["AccumulateGrad", "MulBackward0"]), label="node_names when a constant enters", hints=(
                Hint(Equal(["MulBackward0"]), "the leaf that requires grad has an AccumulateGrad node: include it (skip only the None entries)."),
                Hint(Equal(["AccumulateGrad", "MulBackward0", "NoneType"]), NONE_AS_NODE),
            )),
            Probe("node_names({t})", Reference(), hidden=True, draw=_graph, weight=2),
        )),
        Item("q3_nodes_vs_paths", points=2, title="Counting nodes and paths", probes=(
            Probe(f"[count_nodes({_EXAMPLE}), count_paths({_EXAMPLE})]", Equal([5, 4]), label="nodes and paths of (u + v) * (u − v)", hints=(
                Hint(Equal([7, 4]), VISITED_TWICE),
            )),
            Probe(f"[count_nodes({_WITH_CONSTANT}), count_paths({_WITH_CONSTANT})]", Equal([2, 1]),
                  label="nodes and paths when a constant enters", hints=(
                      Hint(Equal([2, 2]), NONE_AS_PATH_END), Hint(Equal([3, 1]), NONE_AS_NODE),
                      Hint(Equal([3, 2]), NONE_AS_NODE + " It was also counted as the end of a path."),
                  )),
            Probe("count_nodes(ladder(10))", Equal(31), label="count_nodes(ladder(10))", hints=(Hint(Equal(4093), VISITED_TWICE),)),
            Probe("count_paths(ladder(10))", Equal(1024), label="count_paths(ladder(10))"),
            Probe("[count_nodes(ladder({n})), count_paths(ladder({n}))]", Reference(), hidden=True, draw=_ladder),
            Probe("[count_nodes({t}), count_paths({t})]", Reference(), hidden=True, draw=_graph),
        )),
        Item("q4_value_sigmoid", points=2, title="Value.sigmoid()", probes=(
            Probe("value_grads(lambda a: a.sigmoid(), 0.0)", Close(L(0.5, 0.25)), label="sigmoid at 0", hints=(
                Hint(Close(L(0.5, 0.5)), "the gradient is σ(a), not σ'(a) = σ(a)(1 − σ(a))."),
                Hint(Close(L(0.5, 0.0)), "the gradient did not reach a: set out._backward to a function that adds σ'(a) · out.grad to self.grad."),
            )),
            Probe("value_grads(lambda a: a.sigmoid() * a.sigmoid(), 1.0)", Close(L(0.534447, 0.287470)), label="σ(a)² at 1 (a used twice)", hints=(
                Hint(Close(L(0.534447, 0.143735)), "with a used twice the gradient is half the right one: accumulate with self.grad += ..., never self.grad = ..."),
            )),
            Probe("value_grads(lambda a, b: (a * b).sigmoid(), 0.5, 1.5)", Close(L(*_SIGMOID_OF_PRODUCT)), label="σ(a·b) at a = 0.5, b = 1.5",
                  hints=(Hint(Close(L(_SIGMOID_OF_PRODUCT[0], 0.0, 0.0)), NO_INPUT),)),
            Probe("value_grads({f}, {a}, {b})", Reference(), hidden=True, draw=_value_expr, weight=2),
        )),
        Item("q5_value_div", points=2, title="Value.__truediv__", probes=(
            Probe("value_grads(lambda a, b: a / b, 3.0, 2.0)", Close(L(1.5, 0.5, -0.75)), label="a / b at 3, 2", hints=(
                Hint(Close(L(1.5, 0.5, 0.75)), "∂(a/b)/∂b = −a/b², a negative number here."),
                Hint(Close(L(1.5, 0.5, -1.5)), "∂(a/b)/∂b = −a/b²: this is −a/b, the square of b is missing."),
                Hint(Close(L(1.5, 2.0, -0.75)), "∂(a/b)/∂a = 1/b, not b."),
            )),
            Probe("value_grads(lambda a: a / 4.0, 2.0)", Close(L(0.5, 0.25)), label="a / 4.0 (a plain number)"),
            Probe("value_grads(lambda a: a / a, 1.7)", Close(L(1.0, 0.0)), label="a / a", hints=(
                Hint(Close(L(1.0, -1 / 1.7)), "a / a uses a on both sides: the two contributions must add up (self.grad += ..., other.grad += ...)."),
                Hint(Close(L(1.0, 1 / 1.7)), "a / a uses a on both sides: the two contributions must add up (self.grad += ..., other.grad += ...)."),
            )),
            Probe("value_grads({f}, {a}, {b})", Reference(), hidden=True, draw=_div_expr, weight=2),
        )),
    ),
)
