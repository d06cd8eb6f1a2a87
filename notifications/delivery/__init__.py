"""
Delivery of notifications, one module per channel (`email.py`; push is to come) and
`dispatch.py`, which takes a notification to the channels the owner's preferences allow and
records each attempt in the delivery log.
"""
