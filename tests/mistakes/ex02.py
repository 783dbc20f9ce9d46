"""Exercise 02: realistic wrong answers, written from the question text."""

from tests.mistakes import Mistake

SLICE = "try:\n    torch.arange(5)[::-1]\nexcept ValueError as e:\n    slice_error = e\n"
MM = "try:\n    P @ Q\nexcept RuntimeError as e:\n    mm_error = e\n"

MISTAKES = [
    Mistake("q1_create", {"q1_answer": "t32 = torch.tensor(data)\nt64 = torch.tensor(arr, dtype=torch.float64)\nt_scalar = torch.tensor(7)"},
            "infers int64", "the dtype inferred from Python ints"),
    Mistake("q1_create", {"q1_answer": "t32 = torch.tensor(data, dtype=torch.float32)\nt64 = torch.from_numpy(arr)\nt_scalar = torch.tensor(7)"},
            "arr is float32", "the array's float32 kept"),
    Mistake("q1_create", {"q1_answer": "t32 = torch.tensor(data, dtype=torch.float32)\nt64 = torch.tensor(arr, dtype=torch.float64)\nt_scalar = torch.tensor([7])"},
            "shape (1,)", "a one-element vector instead of a 0-d tensor"),
    Mistake("q1_create", {"q1_answer": "t32 = torch.tensor(data, dtype=torch.float32)\nt64 = torch.tensor(arr, dtype=torch.float64)\nt_scalar = torch.tensor(7.0)"},
            "7.0 is a float", "a float 7.0 instead of the integer 7"),
    Mistake("q2_reshape", {"q2_answer": "V = v12.reshape(3, 4)\nVt = V.reshape(4, 3)"}, "reshape keeps", "reshape taken for a transpose"),
    Mistake("q2_reshape", {"q2_answer": "V = v12.reshape(4, 3)\nVt = V.T"}, "3 rows of 4", "V with the shape swapped"),
    Mistake("q3_matmul", {"q3_answer": MM + "PQt = P.T @ Q"}, "P @ Q.T", "the wrong factor transposed"),
    Mistake("q3_matmul", {"q3_answer": "try:\n    P @ Q\nexcept RuntimeError:\n    mm_error = RuntimeError\nPQt = P @ Q.T"}, "class", "the class kept instead of the exception"),
    Mistake("q4_flip", {"q4_answer": SLICE + "def reverse_along(x, dim):\n    return torch.flip(x, dims=tuple(range(x.dim())))"}, "every dimension", "every dimension reversed"),
    Mistake("q4_flip", {"q4_answer": SLICE + "def reverse_along(x, dim):\n    x.copy_(torch.flip(x, dims=(dim,)))\n    return x"}, "changed the caller's x", "x reversed in place"),
    Mistake("q4_flip", {"q4_answer": SLICE + "def reverse_along(x, dim):\n    return torch.flip(x, dims=(0,))"}, "instead of the given dim", "always dim 0"),
    Mistake("q4_flip", {"q4_answer": SLICE + "def reverse_along(x, dim):\n    return x.flip(-1)"}, "instead of the given dim", "always the last dim"),
    Mistake("q5_shared", {"q5_answer": "def shared_tensor(a):\n    return torch.tensor(a)"}, "always copies", "torch.tensor copies"),
    Mistake("q5_shared", {"q5_answer": "def shared_tensor(a):\n    return torch.from_numpy(a).float()"}, "makes a copy", "a dtype conversion copies"),
    Mistake("q6_batched", {"q6_answer": "shape_answers = [(10, 3, 5), (10, 3, 5), (2, 10, 5, 4), (10, 3, 5), (5,), None]"}, "only 2-D", "torch.mm thought to batch"),
    Mistake("q6_batched", {"q6_answer": "shape_answers = [(10, 3, 5), (10, 3, 5), (2, 10, 5, 4), None, (1, 5), None]"}, "row vector", "the vector's dimension kept"),
    Mistake("q6_batched", {"q6_answer": "shape_answers = [(10, 3, 5), (10, 3, 5), (2, 1, 5, 4), None, (5,), None]"}, "broadcast", "batch dimensions not broadcast"),
]
