"""Programmatic advertising: ad logs, click and market-price models, bidding under a budget, pacing (issue #20)."""
