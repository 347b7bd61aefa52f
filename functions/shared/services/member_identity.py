"""Finding a member by an exact identity, the way every portal step asks for one.

Member ID + date of birth, or last name + first name + date of birth: all given fields must match.
A near miss and an unknown member get the same answer, so the portal never tells which field was
wrong (no harvesting of member data by trial and error).
"""

from __future__ import annotations

from datetime import date

from functions.shared.core.errors import Problem
from functions.shared.store import repositories
from functions.shared.store.members import Member, identity_key

MEMBER_NOT_FOUND = Problem(
    404, "member-not-found", "No member found",
    "No member matches these details. Check the member ID and date of birth on the member's card, or "
    "the spelling of the names, and try again.")


def find_member(birth_date: date, member_id: str | None = None, last_name: str | None = None,
                first_name: str | None = None) -> Member | None:
    members = repositories().members
    if member_id:
        member = members.get(member_id)  # a MemberId: normalised where it came in
    else:
        ids = members.ids_by_identity(last_name or "", first_name or "", birth_date)
        member = members.get(ids[0]) if len(ids) == 1 else None  # two people alike: the member ID decides
    if member is None or member.profile.birth_date != birth_date:
        return None
    if last_name and first_name:  # names given with a member ID must match too
        profile = member.profile
        if identity_key(last_name, first_name, birth_date) != identity_key(profile.last_name, profile.first_name,
                                                                            birth_date):
            return None
    return member
