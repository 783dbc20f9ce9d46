"""Exercise 02: valid alternatives keep every point; common mistakes lose the item with a named hint."""

from fairness import corpus_tests

CORRECT = {
    "other constructors": {"q1_answer": "t32 = torch.tensor(data).float()\nt64 = torch.tensor(arr, dtype=torch.float64)\nt_scalar = torch.tensor(data[1][2] + 1)"},
    "as_tensor and a numpy scalar": {"q1_answer": "t32 = torch.as_tensor(np.array(data, dtype=np.float32))\nt64 = torch.as_tensor(arr).double()\nt_scalar = torch.tensor(np.int64(7))"},
    "view and transpose": {"q2_answer": "V = v12.view(3, 4)\nVt = V.transpose(0, 1).contiguous()\nprint(Vt.is_contiguous())"},
    "reshape with -1 and permute": {"q2_answer": "V = v12.reshape(-1, 4)\nVt = V.permute(1, 0)"},
    "matmul functions": {"q3_answer": "import sys\ntry:\n    torch.mm(P, Q)\nexcept RuntimeError:\n    mm_error = sys.exc_info()[1]\nPQt = torch.matmul(P, Q.t())"},
    "einsum": {"q3_answer": "try:\n    torch.matmul(P, Q)\nexcept Exception as e:\n    mm_error = e\nPQt = torch.einsum('ik,jk->ij', P, Q)"},
    "flip method": {"q4_answer": "try:\n    torch.arange(5)[::-1]\nexcept Exception as e:\n    slice_error = e\ndef reverse_along(x, dim):\n    return x.flip(dim)"},
    "index_select": {"q4_answer": "try:\n    torch.arange(5)[::-1]\nexcept ValueError as e:\n    slice_error = e\ndef reverse_along(x, dim):\n    n = x.shape[dim]\n    return x.index_select(dim, torch.arange(n - 1, -1, -1))"},
    "as_tensor": {"q5_answer": "def shared_tensor(a):\n    print('sharing', a.dtype)\n    return torch.as_tensor(a)"},
    "torch.Size and lists": {"q6_answer": "A=torch.ones(10,3,4);B=torch.ones(10,4,5);C=torch.ones(4,5);D=torch.ones(2,1,5,3);v=torch.ones(4)\n"
                             "shape_answers = [torch.matmul(A, B).shape, [10, 3, 5], (A @ C.unsqueeze(0) if False else D @ A).shape, None, torch.Size([5]), None]"},
}

WRONG = {
    "integer dtype inferred": ({"q1_answer": "t32 = torch.tensor(data)\nt64 = torch.tensor(arr, dtype=torch.float64)\nt_scalar = torch.tensor(7)"}, "q1_create", "infers int64"),
    "one-element vector": ({"q1_answer": "t32 = torch.tensor(data, dtype=torch.float32)\nt64 = torch.tensor(arr, dtype=torch.float64)\nt_scalar = torch.tensor([7])"}, "q1_create", "shape (1,)"),
    "reshape instead of transpose": ({"q2_answer": "V = v12.reshape(3, 4)\nVt = V.reshape(4, 3)"}, "q2_reshape", "reshape keeps the elements in reading order"),
    "transposed the wrong factor": ({"q3_answer": "try:\n    P @ Q\nexcept RuntimeError as e:\n    mm_error = e\nPQt = P.T @ Q"}, "q3_matmul", "P @ Q.T"),
    "flips every dimension": ({"q4_answer": "try:\n    torch.arange(5)[::-1]\nexcept ValueError as e:\n    slice_error = e\ndef reverse_along(x, dim):\n    return torch.flip(x, dims=tuple(range(x.dim())))"}, "q4_flip", "reversed every dimension"),
    "copies the array": ({"q5_answer": "def shared_tensor(a):\n    return torch.tensor(a)"}, "q5_shared", "always copies"),
    "mm thought to batch": ({"q6_answer": "shape_answers = [(10, 3, 5), (10, 3, 5), (2, 10, 5, 4), (10, 3, 5), (5,), None]"}, "q6_batched", "torch.mm accepts only 2-D"),
    # "Return a new tensor; do not modify x" (issue 9): writing the result back into x loses the item.
    "flips x in place": ({"q4_answer": "try:\n    torch.arange(5)[::-1]\nexcept ValueError as e:\n    slice_error = e\ndef reverse_along(x, dim):\n"
                          "    x.copy_(torch.flip(x, dims=(dim,)))\n    return x"}, "q4_flip", "changed the caller's x"),
    "abs of a negative dim": ({"q4_answer": "try:\n    torch.arange(5)[::-1]\nexcept ValueError as e:\n    slice_error = e\ndef reverse_along(x, dim):\n"
                               "    return torch.flip(x, dims=(abs(dim),))"}, "q4_flip", "differs from the reference"),
    "no broadcasting of batch dims": ({"q6_answer": "shape_answers = [(10, 3, 5), (10, 3, 5), None, None, (5,), None]"}, "q6_batched", "broadcast to (2, 10)"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex02", CORRECT, WRONG, seed=7)

