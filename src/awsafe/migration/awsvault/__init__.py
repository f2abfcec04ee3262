"""Reading the items aws-vault keeps in each of its stores, in aws-vault's own formats."""
