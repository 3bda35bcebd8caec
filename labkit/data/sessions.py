"""The MAU tables: `session_timestamp(sessionid, ts)` and `user_session_channel(userid, sessionid, channel)`.

Like the NPS table, these rebuild the course's private data from what was published about it:
949 users, six channels, sessions from May to November 2019 and the monthly active users
(MAU) 281, 459, 623, 662, 639, 763, 721. Each month's set of active users is chosen first,
with exactly the target size, and sessions are then spread over those user-months; so the
lab's `COUNT(DISTINCT userid)` per month gives the course's numbers by construction.

Users sign up over the months (user ids in signup order), come back more often when they
were active the month before, differ a lot in how many sessions they have, and drift from one
favourite channel to another over time, so "first and last channel per user" (the course's
`FIRST_VALUE` / `LAST_VALUE` exercise) has answers worth looking at.
"""
from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from psycopg2 import sql

if TYPE_CHECKING:
    from psycopg2.extensions import connection

from labkit.data import copy_rows, table_identifier, transaction

CHANNELS = ("Youtube", "Google", "Naver", "Organic", "Instagram", "Facebook")
MONTHLY_MAU_2019: dict[str, int] = {
    "2019-05": 281, "2019-06": 459, "2019-07": 623, "2019-08": 662,
    "2019-09": 639, "2019-10": 763, "2019-11": 721,
}
USERS = 949
# How popular each channel is overall (same order as CHANNELS).
_POPULARITY = (0.22, 0.22, 0.2, 0.14, 0.13, 0.09)
# Share of a user's sessions from their favourite channel(s); the rest follows popularity.
_LOYALTY = 0.7
# A user active last month is this many times likelier to be active again (retention).
_RETURNING = 4.0
# Share of the still-unsigned users who sign up in each month after the first.
_SIGNUP_PACE = 0.45

SESSION_TIMESTAMP = "session_timestamp"
USER_SESSION_CHANNEL = "user_session_channel"


def _month_start(month: str) -> datetime:
    year, number = month.split("-")
    return datetime(int(year), int(number), 1)


def _month_seconds(month: str) -> int:
    start = _month_start(month)
    following = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    return int((following - start).total_seconds())


def target_mau(users: int = USERS) -> dict[str, int]:
    """MONTHLY_MAU_2019 itself for 949 users, scaled proportionally for another user count."""
    if users == USERS:
        return dict(MONTHLY_MAU_2019)
    return {month: max(1, round(mau * users / USERS)) for month, mau in MONTHLY_MAU_2019.items()}


def _signups(mau: list[int], users: int) -> list[int]:
    """New users per month: all of month 1's actives, then a share of those left each month.

    Constraints: a month's actives are its new users plus earlier signups, so
    new[m] <= mau[m] and signed-up-so-far >= mau[m]; and every user signs up once.
    """
    if users < max(mau):
        raise ValueError(f"{users} users cannot give a month with {max(mau)} active users")
    if users > sum(mau):
        raise ValueError(f"{users} users cannot all be active in months whose MAU sum to {sum(mau)}")
    signed = [mau[0]]
    for m in range(1, len(mau)):
        so_far = signed[-1]
        if m == len(mau) - 1:
            signed.append(users)
        else:
            pace = so_far + math.ceil((users - so_far) * _SIGNUP_PACE)
            signed.append(min(users, max(pace, max(mau[: m + 1]))))
    new = [signed[0]] + [signed[m] - signed[m - 1] for m in range(1, len(mau))]
    # A month with more signups than actives pushes the excess to the month before.
    for m in range(len(mau) - 1, 0, -1):
        if new[m] > mau[m]:
            new[m - 1] += new[m] - mau[m]
            new[m] = mau[m]
    if new[0] != mau[0]:
        raise ValueError(f"cannot place {users} users into months with MAU {mau}")
    return new


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into one per weight plus the rest proportionally (largest remainders)."""
    rest = total - len(weights)
    whole = sum(weights)
    shares = [rest * w / whole for w in weights]
    counts = [1 + int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (int(shares[i]) - shares[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def generate_sessions(sessions: int = 101_000, users: int = USERS, seed: int = 2019
                      ) -> tuple[list[tuple[int, str, str]], list[tuple[str, datetime]]]:
    """`(user_session_channel rows, session_timestamp rows)`, in time order; same seed → same rows.

    `(userid, sessionid, channel)` and `(sessionid, ts)`; sessionid is a 32-character hex
    string (an MD5, like the course's). Each month's distinct users equal `target_mau(users)`
    exactly (MONTHLY_MAU_2019 for 949 users); every user 1..users has at least one session; a
    user's sessions never share a timestamp, so their first and last channel is well defined.
    Raises ValueError when `sessions` is below the number of active user-months.
    """
    rng = random.Random(seed)
    months = list(MONTHLY_MAU_2019)
    mau = list(target_mau(users).values())
    if sessions < sum(mau):
        raise ValueError(f"need at least {sum(mau)} sessions (one per active user-month), got {sessions}")
    new = _signups(mau, users)

    # Who is active when: this month's signups plus returning users, favouring last month's.
    active: list[list[int]] = []
    signed = 0
    previous: set[int] = set()
    for m, size in enumerate(mau):
        earlier = range(1, signed + 1)
        keys = {u: rng.random() ** (1 / (_RETURNING if u in previous else 1.0)) for u in earlier}
        returning = sorted(earlier, key=lambda u: (-keys[u], u))[: size - new[m]]
        fresh = list(range(signed + 1, signed + new[m] + 1))
        signed += new[m]
        active.append(sorted(returning + fresh))
        previous = set(active[-1])

    # How many sessions each active user-month gets: heavy users and quiet ones.
    level = {u: rng.lognormvariate(0, 0.9) for u in range(1, users + 1)}
    pairs = [(m, u) for m in range(len(months)) for u in active[m]]
    counts = _allocate(sessions, [level[u] * rng.uniform(0.5, 1.5) for _, u in pairs])

    # Channel habits: a favourite early on and one later (often the same), plus some noise.
    early = {u: rng.choices(CHANNELS, _POPULARITY)[0] for u in range(1, users + 1)}
    late = {u: early[u] if rng.random() < 0.6 else rng.choices(CHANNELS, _POPULARITY)[0] for u in early}
    last_month = max(len(months) - 1, 1)

    events: list[tuple[datetime, int, str]] = []
    for (m, u), count in zip(pairs, counts, strict=True):
        drift = m / last_month
        weights = [(1 - _LOYALTY) * p for p in _POPULARITY]
        weights[CHANNELS.index(early[u])] += _LOYALTY * (1 - drift)
        weights[CHANNELS.index(late[u])] += _LOYALTY * drift
        start = _month_start(months[m])
        channels = rng.choices(CHANNELS, weights, k=count)
        seconds = rng.sample(range(_month_seconds(months[m])), count)  # distinct: no ties per user
        events.extend((start + timedelta(seconds=s), u, c) for s, c in zip(seconds, channels, strict=True))
    events.sort()

    usc: list[tuple[int, str, str]] = []
    stamps: list[tuple[str, datetime]] = []
    for i, (ts, user, channel) in enumerate(events):
        sessionid = hashlib.md5(f"labkit-session:{seed}:{i}".encode()).hexdigest()
        usc.append((user, sessionid, channel))
        stamps.append((sessionid, ts))
    return usc, stamps


def load_sessions(conn: connection, sessions: int = 101_000, users: int = USERS, seed: int = 2019) -> tuple[int, int]:
    """(Re)fill both tables with `generate_sessions(...)` in one transaction.

    Returns `(user_session_channel rows, session_timestamp rows)`. Tables are created if
    missing and truncated otherwise, so a re-run replaces the data instead of doubling it.
    """
    usc, stamps = generate_sessions(sessions, users, seed)
    usc_table = table_identifier(USER_SESSION_CHANNEL)
    ts_table = table_identifier(SESSION_TIMESTAMP)
    with transaction(conn), conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (sessionid varchar(32) PRIMARY KEY, ts timestamp)")
                    .format(ts_table))
        cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (userid int, sessionid varchar(32) PRIMARY KEY, "
                            "channel varchar(32))").format(usc_table))
        cur.execute(sql.SQL("TRUNCATE {}, {}").format(usc_table, ts_table))
        usc_count = copy_rows(cur, usc_table, ("userid", "sessionid", "channel"), usc, len(usc))
        ts_count = copy_rows(cur, ts_table, ("sessionid", "ts"), stamps, len(stamps))
    return usc_count, ts_count


def monthly_active_users(usc_rows: Iterable[tuple[int, str, str]],
                         ts_rows: Iterable[tuple[str, datetime]]) -> dict[str, int]:
    """"YYYY-MM" → distinct users, joining the two tables in Python (the tests' independent answer)."""
    when = dict(ts_rows)
    users: dict[str, set[int]] = {}
    for userid, sessionid, _ in usc_rows:
        users.setdefault(when[sessionid].strftime("%Y-%m"), set()).add(userid)
    return {month: len(users[month]) for month in sorted(users)}


def first_last_channel(usc_rows: Iterable[tuple[int, str, str]],
                       ts_rows: Iterable[tuple[str, datetime]]) -> dict[int, tuple[str, str]]:
    """userid → (channel of the earliest session, channel of the latest), computed in Python."""
    when = dict(ts_rows)
    first: dict[int, tuple[datetime, str]] = {}
    last: dict[int, tuple[datetime, str]] = {}
    for userid, sessionid, channel in usc_rows:
        ts = when[sessionid]
        if userid not in first or ts < first[userid][0]:
            first[userid] = (ts, channel)
        if userid not in last or ts > last[userid][0]:
            last[userid] = (ts, channel)
    return {u: (first[u][1], last[u][1]) for u in sorted(first)}
