"""The opinion map of a statements question, in the way Polis makes it: groups of
participants who vote alike, and the statements that unite or divide them."""
