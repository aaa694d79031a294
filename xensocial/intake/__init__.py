"""Content intake: blog feeds (RSS/Atom) and curated links, fetched safely from the network.

`fetch` is the one way intake touches the network (timeouts, a deadline, a size cap, an
address guard); `links` reads a page's title and description; the feed modules poll and ingest.
"""
