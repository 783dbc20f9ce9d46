"""Exercise 06: the chain rule as a sum over paths, walking grad_fn, and a tiny reverse-mode engine."""

from ..spec import Assignment, Close, Equal, Hint, Item, Probe, Reference


def L(*values):
    """A list of numbers written the way probes report one (Close does not read a bare Python list)."""
    return {"type": "list", "items": list(values)}

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
    return {"u": round(rng.uniform(-3, 3), 3), "v": round(rng.uniform(-3, 3), 3)}


def _graph(rng):
    body = rng.choice(_GRAPHS).format(c=round(rng.uniform(0.5, 2), 2))
    a, b = round(rng.uniform(-2, 2), 3), round(rng.uniform(-2, 2), 3)
    return {"t": f"(lambda a, b: {body})(torch.tensor({a}, requires_grad=True), torch.tensor({b}, requires_grad=True))"}


def _ladder(rng):
    return {"n": rng.randint(11, 15)}


def _graph_counts(rng):
    return {"t": _graph(rng)["t"]}


def _value_expr(rng):
    body = rng.choice(_VALUE_EXPRESSIONS).format(c=round(rng.uniform(-2, 2), 2))
    return {"f": body, "a": round(rng.uniform(-2.5, 2.5), 3), "b": round(rng.uniform(-2.5, 2.5), 3)}


def _div_expr(rng):
    body = rng.choice(_DIV_EXPRESSIONS).format(c=round(rng.uniform(0.5, 3), 2), d=round(rng.uniform(5, 8), 2))
    sign = rng.choice((-1, 1))
    return {"f": body, "a": round(rng.uniform(0.5, 3), 3), "b": round(sign * rng.uniform(0.5, 3), 3)}


_EXAMPLE = "(lambda u, v: (u + v) * (u - v))(torch.tensor(3.0, requires_grad=True), torch.tensor(2.0, requires_grad=True))"

SPEC = Assignment(
    name="ex06",
    items=(
        Item("q1_path_sum", points=2, title="dz/du and dz/dv as sums over paths", probes=(
            Probe("path_products(3.0, 2.0)[0]", Close(L(1.0, 5.0))),
            Probe("path_products(3.0, 2.0)[1]", Close(L(1.0, -5.0)), hints=(
                Hint(Close(L(1.0, 5.0)), "along the path v → y → z the local derivative ∂y/∂v of y = u − v is −1, not 1."),
                Hint(Close(L(-1.0, 5.0)), "the −1 belongs to the path through y = u − v (the second one), not to the path through x."),
            )),
            Probe("[auto_du, auto_dv]", Close(L(6.0, -4.0)), hints=(
                Hint(Close(L(12.0, -8.0)), "the gradients accumulated: backward() ran twice on the same leaves without zeroing .grad."),
            )),
            Probe("path_products({u}, {v})", Reference(), hidden=True, draw=_uv, weight=2),
        )),
        Item("q2_node_names", points=2, title="Walking grad_fn.next_functions", probes=(
            Probe(f"node_names({_EXAMPLE})", Equal(["AccumulateGrad", "AccumulateGrad", "AddBackward0", "MulBackward0", "SubBackward0"]), hints=(
                Hint(Equal(["AccumulateGrad"] * 4 + ["AddBackward0", "MulBackward0", "SubBackward0"]), VISITED_TWICE),
                Hint(Equal(["AddBackward0", "MulBackward0", "SubBackward0"]), "the leaves' AccumulateGrad nodes are nodes of the graph too: include them."),
            )),
            Probe("node_names(torch.tensor(2.0, requires_grad=True) * torch.tensor(5.0))", Equal(["AccumulateGrad", "MulBackward0"]), hints=(
                Hint(Equal(["MulBackward0"]), "the leaf that requires grad has an AccumulateGrad node: include it (skip only the None entries)."),
            )),
            Probe("node_names({t})", Reference(), hidden=True, draw=_graph, weight=2),
        )),
        Item("q3_nodes_vs_paths", points=2, title="Counting nodes and paths", probes=(
            Probe(f"[count_nodes({_EXAMPLE}), count_paths({_EXAMPLE})]", Equal([5, 4]), hints=(
                Hint(Equal([7, 4]), VISITED_TWICE),
            )),
            Probe("count_nodes(ladder(10))", Equal(31), hints=(Hint(Equal(4093), VISITED_TWICE),)),
            Probe("count_paths(ladder(10))", Equal(1024)),
            Probe("[count_nodes(ladder({n})), count_paths(ladder({n}))]", Reference(), hidden=True, draw=_ladder),
            Probe("[count_nodes({t}), count_paths({t})]", Reference(), hidden=True, draw=_graph_counts),
        )),
        Item("q4_value_sigmoid", points=2, title="Value.sigmoid()", probes=(
            Probe("value_grads(lambda a: a.sigmoid(), 0.0)", Close(L(0.5, 0.25))),
            Probe("value_grads(lambda a: a.sigmoid() * a.sigmoid(), 1.0)", Close(L(0.534447, 0.287470)), hints=(
                Hint(Close(L(0.534447, 0.143735)), "with a used twice the gradient is half the right one: accumulate with self.grad += ..., never self.grad = ..."),
            )),
            Probe("value_grads({f}, {a}, {b})", Reference(), hidden=True, draw=_value_expr, weight=2),
        )),
        Item("q5_value_div", points=2, title="Value.__truediv__", probes=(
            Probe("value_grads(lambda a, b: a / b, 3.0, 2.0)", Close(L(1.5, 0.5, -0.75)), hints=(
                Hint(Close(L(1.5, 0.5, 0.75)), "∂(a/b)/∂b = −a/b², a negative number here."),
            )),
            Probe("value_grads(lambda a: a / 4.0, 2.0)", Close(L(0.5, 0.25))),
            Probe("value_grads(lambda a: a / a, 1.7)", Close(L(1.0, 0.0)), hints=(
                Hint(Close(L(1.0, -1 / 1.7)), "a / a uses a on both sides: the two contributions must add up (self.grad += ..., other.grad += ...)."),
                Hint(Close(L(1.0, 1 / 1.7)), "a / a uses a on both sides: the two contributions must add up (self.grad += ..., other.grad += ...)."),
            )),
            Probe("value_grads({f}, {a}, {b})", Reference(), hidden=True, draw=_div_expr, weight=2),
        )),
    ),
)
