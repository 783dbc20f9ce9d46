"""Exercise 03: realistic wrong answers, written from the question text."""

from tests.mistakes import Mistake

Q1_REST = "x_v = torch.tensor([3.0, 4.0, 5.0], requires_grad=True)\nx_m = torch.tensor([[3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], requires_grad=True)"
WALK = ("def grad_fn_names(t):\n    names, node = [], t.grad_fn\n    while node is not None:\n        names.append(type(node).__name__)\n"
        "        node = next((f for f, _ in node.next_functions if f is not None), None)\n    return names")
CHAIN = ["MeanBackward0", "SubBackward0", "MulBackward0", "SinBackward0", "AccumulateGrad"]
TABLE = dict(p_w=(True, True), p_c=(True, False), p_h=(False, True), p_d=(True, False), p_m=(True, True), p_n=(False, True))


def table(**changes):
    return f"leaf_table = {dict(TABLE, **changes)!r}"


MISTAKES = [
    Mistake("q1_tensors", {"q1_answer": "x_s = torch.tensor([3.0], requires_grad=True)\n" + Q1_REST}, "shape (1,)", "the scalar as a one-element vector"),
    Mistake("q1_tensors", {"q1_answer": "x_s = torch.tensor(3.0, requires_grad=True)\nx_v = torch.tensor([3.0, 4.0, 5.0], requires_grad=True)\n"
                                        "x_m = torch.arange(3.0, 9.0, requires_grad=True).reshape(2, 3)"}, "reshape", "requires_grad before a reshape"),
    Mistake("q2_integer", {"q2_answer": "try:\n    torch.tensor(3, requires_grad=True)\nexcept RuntimeError as int_error:\n    pass\nx_fixed = torch.tensor(3.0, requires_grad=True)"},
            "deletes", "the name bound by except ... as is deleted after the block"),
    Mistake("q2_integer", {"q2_answer": "try:\n    torch.tensor(3, requires_grad=True)\nexcept RuntimeError as e:\n    int_error = e\nx_fixed = torch.tensor(3.0)"},
            "must require grad", "x_fixed without requires_grad"),
    Mistake("q3_predict_chain", {"q3_answer": f"chain_names = {CHAIN[:-1]!r}"}, "AccumulateGrad", "the leaf's node left out"),
    Mistake("q3_predict_chain", {"q3_answer": f"chain_names = {[n.replace('0', '') for n in CHAIN]!r}"}, "version number", "names without their number"),
    Mistake("q3_predict_chain", {"q3_answer": f"chain_names = {CHAIN[::-1]!r}"}, "starts at the output", "the chain written from the leaf"),
    Mistake("q4_grad_fn_names", {"q4_answer": "def grad_fn_names(t):\n    names, node = [], t.grad_fn\n    while node is not None:\n        names.append(type(node).__name__)\n"
                                              "        node = node.next_functions[0][0] if node.next_functions else None\n    return names"}, "skip it", "the first entry followed even when it is None"),
    Mistake("q4_grad_fn_names", {"q4_answer": WALK.replace("type(node).__name__", "node.name()")}, "type(node).__name__", "node.name() instead of the class name"),
    Mistake("q4_grad_fn_names", {"q4_answer": WALK.replace("    names, node = [], t.grad_fn\n", "    if t.grad_fn is None:\n        return ['AccumulateGrad']\n    names, node = [], t.grad_fn\n")},
            "empty", "a leaf given a one-entry list"),
    Mistake("q4_grad_fn_names", {"q4_answer": WALK.replace("while node is not None", "while node is not None and node.next_functions")}, "AccumulateGrad", "the walk stops before the leaf's node"),
    Mistake("q5_leaves", {"q5_answer": table(p_n=(True, True))}, "still an operation", "times 1.0 thought to keep a leaf"),
    Mistake("q5_leaves", {"q5_answer": table(p_d=(False, True))}, "cut off from the graph", "detach thought to keep the graph"),
    Mistake("q5_leaves", {"q5_answer": table(p_c=(False, False))}, "by convention", "a constant thought not to be a leaf"),
    Mistake("q6_requires_grad_", {"q6_answer": "W = torch.randn(4, 3, requires_grad=True) * 0.1\nloss_w = (W ** 2).sum()\nloss_w.backward()"}, "not a leaf", "scaled after requires_grad"),
    Mistake("q6_requires_grad_", {"q6_answer": "W = torch.randn(4, 3).requires_grad_()\nloss_w = (W ** 2).sum()\nloss_w.backward()"}, "scale them by 0.1", "not scaled"),
    Mistake("q6_requires_grad_", {"q6_answer": "W = (0.1 * torch.randn(4, 3)).requires_grad_()\nloss_w = (W ** 2).sum()\nloss_w.backward(retain_graph=True)\nloss_w.backward()"},
            "accumulated", "backward() called twice"),
    Mistake("q7_detach", {"q7_answer": "x_d = torch.tensor(2.0, requires_grad=True)\nq_d = x_d ** 2 * x_d\nq_d.backward()"}, "12 = d(x³)/dx", "the factor not detached"),
    Mistake("q7_detach", {"q7_answer": "x_d = torch.tensor(2.0, requires_grad=True)\nq_d = x_d.detach() ** 2 * x_d\nq_d.backward()"}, "one factor only", "the wrong factors detached"),
]
