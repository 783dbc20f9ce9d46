"""Realistic wrong answers to exercise 06, written from the questions."""

from tests.mistakes import Mistake

PATHS = ("def path_products(u0, v0):\n    x0, y0 = u0 + v0, u0 - v0\n    return {du}, {dv}\n"
         "u = torch.tensor(3.0, requires_grad=True)\nv = torch.tensor(2.0, requires_grad=True)\nz = (u + v) * (u - v)\n{backward}")
ONE_BACKWARD = "z.backward()\nauto_du, auto_dv = u.grad, v.grad"
WALK = ("def node_names(t):\n    names, stack, seen = [], [t.grad_fn], set()\n    while stack:\n        node = stack.pop()\n"
        "        if {skip}:\n            continue\n        seen.add(node)\n        names.append({name})\n"
        "        stack.extend(n for n, _ in node.next_functions)\n    return {result}")
COUNTS = ("def count_nodes(t):\n    seen, todo = set(), [t.grad_fn]\n    while todo:\n        n = todo.pop()\n        if {node_test}:\n"
          "            seen.add(n)\n            todo += [m for m, _ in n.next_functions]\n    return len(seen)\n"
          "def count_paths(t):\n    def p(n):\n        if {end_test}:\n            return 1\n        return sum(p(m) for m, _ in n.next_functions{filter})\n"
          "    return p(t.grad_fn)")
GOOD_NODE, GOOD_END, GOOD_FILTER = "n is not None and n not in seen", "not n.next_functions", " if m is not None"
SIGMOID = ("def sigmoid(self):\n    s = 1 / (1 + math.exp(-self.data))\n    out = Value(s{inputs})\n    def _backward():\n"
           "        self.grad {op} {local} * out.grad\n    out._backward = _backward\n    return out\n\nValue.sigmoid = sigmoid")
DIV = ("def truediv(self, other):\n    other = other if isinstance(other, Value) else Value(other)\n    out = Value(self.data / other.data, (self, other))\n"
       "    def _backward():\n        self.grad {op} {da} * out.grad\n        other.grad {op} {db} * out.grad\n    out._backward = _backward\n"
       "    return out\n\nValue.__truediv__ = truediv")

MISTAKES = [
    Mistake("q1_path_sum", {"q1_answer": PATHS.format(du="[y0, x0]", dv="[y0, x0]", backward=ONE_BACKWARD)}, "−1", "∂y/∂v taken as +1"),
    Mistake("q1_path_sum", {"q1_answer": PATHS.format(du="[y0, x0]", dv="[-y0, x0]", backward=ONE_BACKWARD)}, "belongs to the path through y",
            "minus sign on the wrong path"),
    Mistake("q1_path_sum", {"q1_answer": PATHS.format(du="[x0, y0]", dv="[x0, -y0]", backward=ONE_BACKWARD)}, "wrong order",
            "∂z/∂x taken as x"),
    Mistake("q1_path_sum", {"q1_answer": PATHS.format(du="[y0, x0]", dv="[y0, -x0]", backward="z.backward(retain_graph=True)\nz.backward()\n"
                                                      "auto_du, auto_dv = u.grad, v.grad")}, "backward() ran twice", "backward twice"),
    Mistake("q2_node_names", {"q2_answer": WALK.format(skip="node is None", name="type(node).__name__", result="sorted(names)")}, "visited",
            "no visited set"),
    Mistake("q2_node_names", {"q2_answer": WALK.format(skip="node is None or node in seen or type(node).__name__ == 'AccumulateGrad'",
                                                       name="type(node).__name__", result="sorted(names)")}, "AccumulateGrad", "leaves left out"),
    Mistake("q2_node_names", {"q2_answer": WALK.format(skip="node in seen", name="type(node).__name__",
                                                       result="sorted(names)").replace("stack.extend(n for n, _ in node.next_functions)",
                                                                                      "stack.extend(n for n, _ in (node.next_functions if node is not None else ()))")},
            "none entry", "None entries kept as nodes"),
    Mistake("q2_node_names", {"q2_answer": WALK.format(skip="node is None or node in seen", name="type(node).__name__", result="names")},
            "sort them alphabetically", "names not sorted"),
    Mistake("q3_nodes_vs_paths", {"q3_answer": COUNTS.format(node_test=GOOD_NODE, end_test="n is None or not n.next_functions", filter="")},
            "None entry", "None counted as a path end"),
    Mistake("q3_nodes_vs_paths", {"q3_answer": COUNTS.format(node_test="n not in seen", end_test=GOOD_END, filter=GOOD_FILTER).replace(
        "todo += [m for m, _ in n.next_functions]", "todo += [m for m, _ in (n.next_functions if n is not None else ())]")},
            "counted as a node", "None counted as a node"),
    Mistake("q3_nodes_vs_paths", {"q3_answer": (
        "def count_nodes(t):\n    def c(n):\n        return 1 + sum(c(m) for m, _ in n.next_functions if m is not None)\n    return c(t.grad_fn)\n"
        "def count_paths(t):\n    def p(n):\n        if not n.next_functions:\n            return 1\n"
        "        return sum(p(m) for m, _ in n.next_functions if m is not None)\n    return p(t.grad_fn)")}, "visited", "nodes counted once per path"),
    Mistake("q4_value_sigmoid", {"q4_answer": SIGMOID.format(inputs=", (self,)", op="=", local="s * (1 - s)")}, "self.grad +=", "overwrites grad"),
    Mistake("q4_value_sigmoid", {"q4_answer": SIGMOID.format(inputs="", op="+=", local="s * (1 - s)")}, "does not list its input",
            "node without its input"),
    Mistake("q4_value_sigmoid", {"q4_answer": SIGMOID.format(inputs=", (self,)", op="+=", local="s")}, "not σ'(a)", "σ instead of σ'"),
    Mistake("q5_value_div", {"q5_answer": DIV.format(op="+=", da="1 / other.data", db="self.data / other.data**2")}, "−a/b²", "sign of ∂/∂b"),
    Mistake("q5_value_div", {"q5_answer": DIV.format(op="+=", da="1 / other.data", db="-self.data / other.data")}, "square of b", "b² missing"),
    Mistake("q5_value_div", {"q5_answer": DIV.format(op="=", da="1 / other.data", db="-self.data / other.data**2")}, "add up", "overwrites grads"),
    Mistake("q5_value_div", {"q5_answer": DIV.format(op="+=", da="other.data", db="-self.data / other.data**2")}, "1/b", "∂/∂a taken as b"),
]
