"""The day after a sitting: marking, moderation, publication, appeals, records and reports.

It sits beside ``proctoring`` above ``assess``: it reads and changes results only through
``assess``'s services (a mark becomes an ``assess.ItemMark`` by ``attempt_mark_response``).
"""
