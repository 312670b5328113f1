// The names of the extension's relations, indexes, constraints and triggers
// that the C++ finds by name (the install and upgrade scripts in src/sql
// create them). One place, so that a rename in a script is a rename here.
// SQL text in prepared statements names its tables itself.
#pragma once

namespace pm::pg::catalog {

inline constexpr const char* kSchema = "profile_merge";

// Tables.
inline constexpr const char* kProfiles = "profiles";
inline constexpr const char* kIdentifiers = "identifiers";
inline constexpr const char* kEvents = "events";
inline constexpr const char* kConsents = "consents";
inline constexpr const char* kMerges = "merges";
inline constexpr const char* kSources = "sources";
inline constexpr const char* kBlockedValues = "blocked_values";
inline constexpr const char* kBlockedPatterns = "blocked_patterns";
inline constexpr const char* kIdentifierKinds = "identifier_kinds";

// Indexes.
inline constexpr const char* kProfilesPkey = "profiles_pkey";
inline constexpr const char* kIdentifiersPkey = "identifiers_pkey";
// Unique: an attached (account_id, kind, value) has one holder.
inline constexpr const char* kIdentifiersAttachedValue = "identifiers_attached_value";
// (account_id, profile_id) of attached rows (0.3.0), and of all rows (0.2.0).
inline constexpr const char* kIdentifiersAttachedByProfile = "identifiers_attached_by_profile";
inline constexpr const char* kIdentifiersByProfile = "identifiers_by_profile";
// (account_id, channel, value, consent_id): a value's latest consent.
inline constexpr const char* kConsentsLatest = "consents_latest";

// Sequences of the identity columns.
inline constexpr const char* kProfilesIdSequence = "profiles_profile_id_seq";
inline constexpr const char* kIdentifiersIdSequence = "identifiers_identifier_id_seq";
inline constexpr const char* kConsentsIdSequence = "consents_consent_id_seq";

// Foreign keys checked once per ingest() batch.
inline constexpr const char* kIdentifiersProfileFkey = "identifiers_account_id_profile_id_fkey";
inline constexpr const char* kProfilesMergedIntoFkey = "profiles_account_id_merged_into_fkey";

// The engine's own row triggers.
inline constexpr const char* kEventsResolveTrigger = "events_resolve";
inline constexpr const char* kConsentsResolveTrigger = "consents_resolve";

}  // namespace pm::pg::catalog
