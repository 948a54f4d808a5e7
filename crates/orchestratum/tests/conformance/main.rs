//! The conformance suite: every behaviour case, written once, run on every backend.
//! Each case gets its own database (a fresh table prefix on PostgreSQL and MySQL/MariaDB, or a
//! fresh SQLite file). The PostgreSQL cases run twice: directly, and through a PgBouncer of
//! their own in transaction mode (`support/pgbouncer.rs`).

#[path = "../support/mod.rs"]
mod support;

mod cases;

/// Expands each case into one `#[tokio::test]` per backend.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::support::run(crate::support::Backend::Postgres, crate::cases::$case).await;
                }
            )*
        }
        /// PostgreSQL through PgBouncer in transaction mode (`pooler=transaction`).
        mod pgbouncer {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::support::run_through_pgbouncer(crate::cases::$case).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::support::run(crate::support::Backend::Sqlite, crate::cases::$case).await;
                }
            )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::support::run(crate::support::Backend::Mysql, crate::cases::$case).await;
                }
            )*
        }
    };
}

conformance!(
    // Per-minute stats (issue 13).
    stats_count_a_drain_by_outcome,
    stats_are_flushed_at_shutdown,
    two_instances_add_to_the_same_buckets,
    pruning_commands_keeps_their_stats,
    old_stats_buckets_are_deleted_after_the_retention,
    failed_stats_flush_keeps_its_counts_and_holds_no_outcome,
    stats_settings_and_names_are_checked,
    // Completion inside the handler's transaction (issue 12).
    handler_writes_and_completion_commit_together,
    lost_lease_rolls_back_the_handlers_writes,
    a_write_waits_for_a_handlers_open_transaction,
    step_completed_in_its_transaction_releases_its_child,
    // Workflows and batches.
    diamond_runs_in_order_and_reads_parent_outputs,
    failing_parent_cancels_its_dependants_by_default,
    run_anyway_edge_runs_the_child_after_a_failure,
    failure_step_runs_only_when_a_step_did_not_succeed,
    retried_parent_releases_its_child_only_once_it_succeeds,
    batch_of_a_thousand_runs_its_callback_once_on_two_instances,
    cancel_workflow_cancels_what_has_not_finished,
    waiting_step_is_never_claimed,
    invalid_workflow_is_refused_and_writes_nothing,
    workflow_in_rolled_back_transaction_leaves_nothing,
    simultaneous_last_parents_release_their_child_once,
    released_steps_run_without_waiting_for_a_poll,
    canceling_a_waiting_step_cancels_it_and_the_steps_after_it,
    concurrent_first_workflow_pushes_share_the_pool,
    a_step_delay_counts_from_its_release,
    // The reference library's own cases.
    simple_command_executes_and_completes,
    push_sets_id_and_row_exists_at_once,
    target_is_stored,
    three_pushed_commands_all_execute,
    five_concurrent_commands_all_execute,
    chain_on_success,
    chain_on_failure,
    delayed_command_waits_for_its_time,
    handler_past_its_timeout_is_not_completed,
    failing_command_runs_retries_plus_one_times,
    success_keeps_retries_left,
    custom_timeout_and_retries_are_stored,
    // Beyond them.
    fleet_limit_holds_across_three_instances,
    local_limit_caps_a_name_without_blocking_others,
    paused_name_is_not_claimed_until_resumed,
    flow_controls_accept_new_names_and_refuse_bad_values,
    naming_convention_and_override,
    wait_returns_typed_output_and_failures,
    bulk_push_in_one_call,
    bulk_push_larger_than_one_statement,
    input_and_output_round_trip_exactly,
    long_timeouts_are_stored_or_refused_clearly,
    target_must_match_exactly,
    next_due_reports_the_earliest_claimable_time,
    local_push_wakes_the_worker_at_once,
    follow_up_runs_without_waiting_for_a_poll,
    in_flight_never_exceeds_max_command_pull,
    claimed_ahead_is_released_at_shutdown,
    a_run_slot_frees_before_the_outcome_is_written,
    cancel_reaches_a_command_claimed_ahead,
    cancel_pending_command,
    cancel_running_command,
    cancel_finished_or_unknown_command,
    handler_can_cancel_its_command,
    panic_is_a_failure,
    panicking_hook_does_not_block_the_transition,
    bad_input_is_a_failure_with_its_reason,
    unregistered_name_is_never_claimed,
    other_instance_keys_command_is_never_claimed,
    shutdown_releases_leases,
    dropped_worker_releases_its_leases,
    token_does_not_fire_after_success,
    push_in_rolled_back_transaction_leaves_no_row,
    stale_lease_cannot_overwrite_newer_attempt,
    a_batch_with_a_stale_outcome_writes_only_the_fenced_ones,
    a_claim_fills_its_batch_past_a_row_held_elsewhere,
    lapsed_lease_costs_a_retry,
    lapsed_lease_with_no_retries_left_fails_with_follow_ups,
    lease_is_renewed_while_handler_runs,
    migrations_are_idempotent_and_concurrent_safe,
    existing_reference_table_is_adopted,
    // The operators' operations (the CLI's).
    admin_list_filters_newest_first,
    admin_summary_counts_states_and_lapsed_leases,
    admin_overview_counts_unfinished_exactly_and_finished_from_stats,
    admin_follow_ups_are_listed_by_parent,
    admin_retry_only_failed_or_canceled,
    admin_prune_deletes_old_finished_in_batches,
    admin_migration_status_and_down,
    admin_push_by_name_takes_json_and_the_library_defaults,
    search_pages_newest_first_and_filters,
    text_search_examines_its_scan_budget_and_continues_below_it,
    text_search_windows_add_up_to_its_budget,
    delete_refuses_running_and_depended_on_steps,
    bulk_actions_change_exactly_the_selection,
    // Stalls, refused writes and stops (issue 9).
    reclaimed_command_never_overlaps_in_one_process,
    stopped_handler_cleans_up_within_the_grace,
    handler_ignoring_its_token_is_dropped_after_the_grace,
    panicking_on_success_never_reruns_the_handler,
    retry_is_claimed_again_without_waiting_for_a_poll,
    retry_delay_is_honoured_across_instances,
    refused_outcome_fails_only_its_command,
    error_text_with_nul_is_stored_readably,
    durations_beyond_the_backend_are_refused_before_sql,
    oversized_output_is_stored_or_refused_clearly,
    cancel_request_wins_over_a_lapse_that_used_the_last_retry,
    // Failure handling (issue 10).
    discarded_command_fails_at_once_with_its_failure_follow_ups,
    instance_backoff_spaces_retries_of_types_without_their_own,
    // Attempt history (issue 10).
    every_run_is_an_attempt_with_its_worker_and_error,
    lapsed_lease_timeout_and_cancel_are_attempts,
    prune_removes_attempts_with_their_command,
    // Worker registry (issue 10).
    worker_registers_heartbeats_and_leaves,
    gone_workers_show_as_gone_and_are_swept,
    commands_no_live_worker_handles_are_reported,
    // Rows written by other programs.
    running_row_without_expiry_is_claimed_and_run,
    running_row_without_expiry_is_cancelled_at_once,
    upper_case_ids_are_run_renewed_and_found,
    // Reading back without waiting (issue 10).
    output_and_follow_ups_are_read_without_waiting,
    // The failure hooks see why (issue 10).
    on_failure_sees_the_last_error_kind_and_attempts,
    on_cancellation_sees_its_reason_and_attempts,
    // Unique commands and priorities.
    same_key_from_twenty_tasks_inserts_one_row,
    finished_command_frees_its_key_unless_its_state_is_kept,
    push_many_collapses_duplicates_in_the_batch_and_the_table,
    push_in_is_unique_and_a_rollback_frees_the_key,
    unique_follow_ups_collapse,
    row_without_the_new_columns_is_claimed_and_runs,
    retry_is_refused_while_the_key_has_a_live_holder,
    higher_priority_due_commands_are_claimed_first,
    worker_runs_due_commands_by_priority,
    // Retention (issue 11).
    retention_deletes_expired_commands_with_their_attempts,
    retention_values_no_worker_could_use_are_refused,
    // Schedules (issue 11).
    three_instances_push_one_command_per_due_second,
    misfire_coalesces_or_skips_after_downtime,
    paused_schedule_stops_firing_everywhere_and_resumes_without_a_burst,
    trigger_pushes_one_now_from_the_stored_row,
    registration_picks_up_a_changed_definition_and_keeps_pause,
    bad_schedules_are_typed_errors,
    schedule_no_running_instance_registered_does_not_fire,
    interval_schedule_fires_at_its_interval,
    firing_keeps_its_push_options_and_is_unique_per_due_time,
);

/// Cases that need a constraint checked at commit, which MySQL and MariaDB do not have.
mod deferred_constraints {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_refused_commit_leaves_the_command_uncompleted() {
        crate::support::run(
            crate::support::Backend::Postgres,
            crate::cases::refused_commit_leaves_the_command_uncompleted,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pgbouncer_refused_commit_leaves_the_command_uncompleted() {
        crate::support::run_through_pgbouncer(
            crate::cases::refused_commit_leaves_the_command_uncompleted,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_refused_commit_leaves_the_command_uncompleted() {
        crate::support::run(
            crate::support::Backend::Sqlite,
            crate::cases::refused_commit_leaves_the_command_uncompleted,
        )
        .await;
    }
}
