import sys
from tests.codemods.conftest import upgrade_text
from tests.codemods.rule_cases import CASES
ids = sys.argv[1:]
for i, rules, before, after in CASES:
    if i in ids:
        out = upgrade_text(before, rules)
        print("==", i, out == after)
        print(repr(out))
