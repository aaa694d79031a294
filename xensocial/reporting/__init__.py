"""Reporting: what the monthly status report counts, how it is drawn, and the exports.

Reads the database (posts, engagement and follower samples, clips, activities) and never
writes it; nothing here talks to a network.
"""
