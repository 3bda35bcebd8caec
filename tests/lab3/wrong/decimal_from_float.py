"""Decimal(float(text)): a Decimal, but built from a float, so 5.32% keeps the float's binary error."""
MUST_FAIL = ["test_cells_are_cleaned_into_exact_numbers"]
FIRST_REASON = r"from a float"
EDITS = [
    ("        value = Decimal(text)\n    except InvalidOperation:", "        value = Decimal(float(text))\n    except (InvalidOperation, ValueError):"),
]
