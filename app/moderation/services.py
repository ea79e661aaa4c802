"""The moderation services, one module per concept; this module names them all for callers.

decisions.py (decide, decide_many, undo), flags.py, sanctions.py (and the checks posting
asks of them), settings.py (reasons, watch list, guidelines), notify.py, state.py (what
they share). Functions flush and never commit; every decision, sanction and lift writes one
audit entry."""

from app.core.db import utcnow  # noqa: F401 - the clock the pages compare with
from app.moderation.decisions import (  # noqa: F401
    DecisionInput,
    decide,
    decide_many,
    last_decision,
    undo_last_decision,
)
from app.moderation.flags import (  # noqa: F401
    flag_comment,
)
from app.moderation.notify import (  # noqa: F401
    notify_decision,
)
from app.moderation.sanctions import (  # noqa: F401
    ParticipationBlocked,
    ThreadLocked,
    active_block,
    check_may_participate,
    check_may_reply,
    lift_sanction,
    sanction_user,
)
from app.moderation.settings import (  # noqa: F401
    add_watch_word,
    remove_watch_word,
    save_guidelines,
    save_reason,
)
from app.moderation.state import (  # noqa: F401
    FLAG_RESOLUTION,
    MAX_BODY,
    MAX_REASON,
    REASON_OPTIONAL,
    REDACTED,
    TRANSITIONS,
    AlreadyDecided,
    ItemChanged,
    moderation_state,
)
