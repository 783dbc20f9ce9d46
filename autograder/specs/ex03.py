"""Exercise 03: tensors that require grad, grad_fn chains, leaves, requires_grad_() and detach()."""

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor
from .evidence import nested_list

CHAIN = ["MeanBackward0", "SubBackward0", "MulBackward0", "SinBackward0", "AccumulateGrad"]

_UNARY = ["torch.sin({})", "torch.exp({})", "torch.tanh({})", "({} ** 2)", "({} * {c})", "({c} * {})",
          "({} + {c})", "({} - {c})", "({c} - {})", "({} / {c})", "(-{})", "torch.ones_like({}) * {}"]


def _chain(rng):
    start = rng.choice(["torch.ones(3, requires_grad=True)", "torch.rand(2, 2, dtype=torch.float64, requires_grad=True)",
                        "torch.tensor(0.5, requires_grad=True)"])
    expr = start
    for _ in range(rng.randint(1, 5)):
        template = rng.choice(_UNARY)
        c = round(rng.uniform(0.5, 3), 2)
        expr = template.replace("{c}", str(c)).replace("{}", expr, 1) if "ones_like" not in template else \
            f"torch.ones_like({expr}.detach()) * {expr}"
    expr += rng.choice(["", ".sum()", ".mean()"])
    return {"e": expr}


ONE_ELEMENT = "torch.tensor([3.0]) is a vector with one element (shape (1,)); the scalar is torch.tensor(3.0)."
INTEGER = "the list holds Python ints, so the tensor is int64 (which cannot require grad): write 3.0, or pass dtype=torch.float32."
NOT_LEAF = "x_m is the result of an operation (e.g. a reshape after requires_grad=True): make the final tensor require grad, e.g. .reshape(2, 3).requires_grad_()."


def _chain_edges(rng):
    """Graphs the lecture warns about: a constant entering first, two inputs that require grad, a tensor outside any graph."""
    c = round(rng.uniform(0.5, 3), 2)
    return [
        {"e": f"(torch.tensor([{c}, 1.0], dtype=torch.float32) * torch.ones(2, requires_grad=True)).exp().sum()",
         "_label": "a constant entering the graph first"},
        {"e": f"(torch.ones(3, requires_grad=True) * torch.full((3,), {c}, requires_grad=True)).mean()",
         "_label": "an operation with two inputs that require grad"},
        {"e": f"torch.full((2,), {c}, dtype=torch.float32)", "_label": "a tensor that does not require grad"},
    ]


SPEC = Assignment(
    name="ex03",
    items=(
        Item("q1_tensors", points=0.25, title="Float tensors that require grad (seed exercise 1)", probes=(
            Probe("x_s", label="x_s", hints=(Hint(Tensor(shape=(1,)), ONE_ELEMENT),), expect=AllOf((Tensor(dtype="float", shape=(), requires_grad=True, is_leaf=True), Close(3.0)))),
            Probe("x_v", label="x_v", hints=(Hint(Tensor(dtype="int64"), INTEGER),), expect=AllOf((Tensor(dtype="float", shape=(3,), requires_grad=True, is_leaf=True), Close(nested_list([3, 4, 5]))))),
            Probe("x_m", label="x_m", hints=(Hint(Tensor(is_leaf=False), NOT_LEAF),), expect=AllOf((Tensor(dtype="float", shape=(2, 3), requires_grad=True, is_leaf=True),
                                Close(nested_list([[3, 4, 5], [6, 7, 8]]))))),
        )),
        Item("q2_integer", points=0.25, title="An integer cannot require grad", probes=(
            Probe("int_error", Raised("RuntimeError", contains="floating point"), label="the exception int_error", hints=(
                Hint(Equal({"type": "object", "class": "type"}), "int_error holds the class RuntimeError, not the exception you caught: `except RuntimeError as e: int_error = e`."),
            )),
            Probe("x_fixed", label="x_fixed", expect=AllOf((Tensor(dtype="float", shape=(), requires_grad=True), Close(3.0))), hints=(
                Hint(Tensor(shape=(1,)), "torch.tensor([3.0]) has shape (1,); the number itself is torch.tensor(3.0)."),
                Hint(Tensor(requires_grad=False), "x_fixed must require grad: torch.tensor(3.0, requires_grad=True)."),
            )),
        )),
        Item("q3_predict_chain", points=0.25, title="Predict a grad_fn chain", probes=(
            Probe("list(chain_names)", Equal(CHAIN), label="your chain_names", hints=(
                Hint(Equal(CHAIN[:-1]), "the walk ends at the leaf's own node, AccumulateGrad, which writes u.grad."),
                Hint(Equal(CHAIN[::-1]), "the chain starts at the output (the last operation applied) and runs back to the leaf."),
                Hint(Equal([n.replace("0", "") for n in CHAIN]), "the class names end in a version number: MeanBackward0, SubBackward0, ..."),
                Hint(Equal(CHAIN[:-1][::-1]), "the chain starts at the output (the last operation applied) and runs back to the leaf."),
            )),
        )),
        Item("q4_grad_fn_names", points=15.5, title="grad_fn_names(t): walking next_functions", probes=(
            Probe("list(grad_fn_names((torch.ones(2, requires_grad=True) * 3).sum()))",
                  Equal(["SumBackward0", "MulBackward0", "AccumulateGrad"]), label="grad_fn_names of a sum of a product", hints=(
                Hint(Equal(["SumBackward0", "MulBackward0"]), "the walk ends at the leaf's node, AccumulateGrad: include it."),
                Hint(Equal(["SumBackward0", "MulBackward0", "torch::autograd::AccumulateGrad"]),
                     "node.name() spells the leaf's node torch::autograd::AccumulateGrad; the class name is type(node).__name__."),
            )),
            Probe("list(grad_fn_names(torch.ones(2, requires_grad=True)))", Equal([]), label="grad_fn_names of a leaf", hints=(
                Hint(Equal(["AccumulateGrad"]), "a leaf has grad_fn None: the list for a leaf is empty."),
            )),
            Probe("list(grad_fn_names(torch.ones(2, dtype=torch.float32)))", Equal([]), label="grad_fn_names of a tensor that does not require grad"),
            Probe("list(grad_fn_names(torch.ones(2) * torch.ones(2, requires_grad=True)))", Equal(["MulBackward0", "AccumulateGrad"]),
                  label="grad_fn_names when a constant enters the graph first", hints=(
                Hint(Equal(["MulBackward0"]), "an input that does not require grad appears in next_functions as (None, 0): skip it and follow the next entry."),
            )),
            Probe("list(grad_fn_names({e}))", Reference(), hidden=True, draw=_chain, label="a random chain of operations"),
            Probe("list(grad_fn_names({e}))", Reference(), hidden=True, draw=_chain, label="a random chain of operations"),
            Probe("list(grad_fn_names({e}))", Reference(), hidden=True, draw=_chain, label="a random chain of operations"),
            Probe("list(grad_fn_names({e}))", Reference(), hidden=True, weight=2, draw=_chain_edges),
        )),
        Item("q5_leaves", points=0.25, title="Leaf or not, requires grad or not", probes=(
            Probe('list(leaf_table["p_w"])', label="your prediction for p_w", expect=Equal([True, True])),
            Probe('list(leaf_table["p_c"])', label="your prediction for p_c", expect=Equal([True, False]), hints=(
                Hint(Equal([False, False]), "by convention every tensor that does not require grad is a leaf."),
            )),
            Probe('list(leaf_table["p_h"])', label="your prediction for p_h", expect=Equal([False, True])),
            Probe('list(leaf_table["p_d"])', label="your prediction for p_d", expect=Equal([True, False]), hints=(
                Hint(Equal([False, True]), "detach() returns a tensor cut off from the graph: a leaf that does not require grad."),
                Hint(Equal([True, True]), "detach() returns a tensor cut off from the graph: a leaf that does not require grad."),
            )),
            Probe('list(leaf_table["p_m"])', label="your prediction for p_m", expect=Equal([True, True])),
            Probe('list(leaf_table["p_n"])', label="your prediction for p_n", expect=Equal([False, True]), hints=(
                Hint(Equal([True, True]), "multiplying by 1.0 is still an operation: its result has a grad_fn (MulBackward0), so it is not a leaf."),
            )),
        )),
        Item("q6_requires_grad_", points=0.25, title="A scaled random leaf with requires_grad_()", probes=(
            Probe("W", Tensor(dtype="float", shape=(4, 3), requires_grad=True, is_leaf=True), label="W", hints=(
                Hint(Tensor(is_leaf=False), "torch.randn(..., requires_grad=True) * 0.1 is the result of an operation, not a leaf, and "
                     "its .grad stays None. Scale first, then call .requires_grad_() on the result."),
            )),
            # "0.1 · randn": the spread of 12 such numbers is far below 0.22 (above it with probability < 1e-6).
            Probe("float(W.detach().std())", Close(0.11, rtol=0, atol=0.11), label="the spread of W's values", hints=(
                Hint(Close(1.0, rtol=0, atol=0.6), "W's values spread like randn's, about 1: scale them by 0.1 (before requires_grad_())."),
            )),
            Probe("float(loss_w.detach() - (W.detach() ** 2).sum())", Close(0.0, rtol=0, atol=1e-5), label="loss_w is the sum of W²"),
            Probe("None if W.grad is None else W.grad / W.detach()", Close(nested_list([[2.0] * 3] * 4)), label="W.grad / W", hints=(
                Hint(Equal(None), "W.grad is None: no backward() reached W. Call loss_w.backward() once, with loss_w computed from this W."),
                Hint(Close(nested_list([[4.0] * 3] * 4)), "backward() ran twice and the gradients accumulated in W.grad."),
            )),
        )),
        Item("q7_detach", points=0.25, title="Stopping the gradient with detach()", probes=(
            Probe("x_d.grad", Close(8.0), weight=2, label="x_d.grad", hints=(
                Hint(Close(12.0), "12 = d(x³)/dx: the gradient flowed through all three factors. The constant factor must be x_d.detach()."),
                Hint(Close(4.0), "4 is the gradient through one factor only; x_d ** 2 has two factors that should carry gradient."),
            )),
            Probe("q_d", AllOf((Tensor(requires_grad=True), Close(8.0))), label="q_d", hints=(
                Hint(Tensor(requires_grad=False), "q_d does not require grad: only the factor c is detached, x_d ** 2 must stay in the graph."),
            )),
        )),
    ),
)
