"""Finding a member by an exact identity, the way every portal step asks for one.

Member ID + date of birth, or last name + first name + date of birth: all given fields must match.
A near miss and an unknown member get the same answer, so the portal never tells which field was
wrong (no harvesting of member data by trial and error).

They also cost the same work, so the answer's time does not tell them apart either: one profile read
(by the member ID given, the one the names found, or one never issued), the same comparisons and
hashing whatever was read, and the coverage periods only for a member who matched.
"""

from __future__ import annotations

from datetime import date

from functions.shared.core.errors import Problem
from functions.shared.store import repositories
from functions.shared.store.members import Member, MemberProfile, identity_key

MEMBER_NOT_FOUND = Problem(
    404, "member-not-found", "No member found",
    "No member matches these details. Check the member ID and date of birth on the member's card, or "
    "the spelling of the names, and try again.")
NO_MEMBER = "no-member"  # never a member ID (those are letters and digits): read where the names found none
# Compared in place of a profile that is not there (it matches nothing: no birth date is 1 January 1 AD).
_NOBODY = MemberProfile(NO_MEMBER, "", "", date.min)


def find_member(birth_date: date, member_id: str | None = None, last_name: str | None = None,
                first_name: str | None = None) -> Member | None:
    members = repositories().members
    if member_id:
        wanted = member_id  # a MemberId: normalised where it came in
    else:
        ids = members.ids_by_identity(last_name or "", first_name or "", birth_date)
        wanted = ids[0] if len(ids) == 1 else NO_MEMBER  # two people alike: the member ID decides
    profile = members.profile(wanted)
    if not matches(profile or _NOBODY, birth_date, last_name, first_name) or profile is None:
        return None
    return Member(profile, members.coverages(profile.member_id))


def matches(profile: MemberProfile, birth_date: date, last_name: str | None, first_name: str | None) -> bool:
    """Whether the profile is the one asked for: its birth date, and its names when both were given (names
    given with a member ID must match too). Every comparison runs whatever the outcome."""
    same_birth_date = profile.birth_date == birth_date
    asked = identity_key(last_name or "", first_name or "", birth_date)
    same_names = asked == identity_key(profile.last_name, profile.first_name, birth_date)
    return same_birth_date and (same_names or not (last_name and first_name))
