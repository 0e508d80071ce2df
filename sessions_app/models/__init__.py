from .choices import (
    CardRule,
    EntryMethod,
    EntryMode,
    EntryState,
    FollowUpOutcome,
    JoinedVia,
    Language,
    Level,
    MilestoneKind,
    Moderation,
    PanelAnswerMode,
    ProcessState,
    QuestionKind,
    QuestionState,
    ResponseStatus,
    Role,
    SessionMode,
    SessionState,
    SheetState,
    Source,
    StatementOrigin,
)
from .dossier import DocumentKind, DossierDocument, DossierLink
from .evidence import TreeHead
from .export import ExportJob
from .followup import FollowUp
from .hands import HandCount
from .live_session import LiveSession
from .log import LogEntry
from .notes import FacilitatorNote
from .opinion import OpinionMapState
from .paper import FormLayout, PaperSheet, PrintBatch, SheetEntry
from .participant import AttendeeCard, Participant
from .process import Milestone, PanelMember, Process
from .qna import PanelAnswer
from .question import Option, Question
from .reading import FormScan, PageReading, SheetReading
from .response import Response, ResponseItem
from .staff import Invitation, StaffRole, User
from .text import ErasureReason, TextContent, TextKind

__all__ = [
    "AttendeeCard",
    "CardRule",
    "DocumentKind",
    "DossierDocument",
    "DossierLink",
    "EntryMethod",
    "EntryMode",
    "EntryState",
    "ErasureReason",
    "ExportJob",
    "FacilitatorNote",
    "FollowUp",
    "FollowUpOutcome",
    "FormLayout",
    "FormScan",
    "HandCount",
    "Invitation",
    "JoinedVia",
    "Language",
    "Level",
    "LiveSession",
    "LogEntry",
    "Milestone",
    "MilestoneKind",
    "Moderation",
    "OpinionMapState",
    "Option",
    "PageReading",
    "PanelAnswer",
    "PanelAnswerMode",
    "PanelMember",
    "PaperSheet",
    "Participant",
    "PrintBatch",
    "Process",
    "ProcessState",
    "Question",
    "QuestionKind",
    "QuestionState",
    "Response",
    "ResponseItem",
    "ResponseStatus",
    "Role",
    "SessionMode",
    "SessionState",
    "SheetEntry",
    "SheetReading",
    "SheetState",
    "Source",
    "StaffRole",
    "StatementOrigin",
    "TextContent",
    "TextKind",
    "TreeHead",
    "User",
]
