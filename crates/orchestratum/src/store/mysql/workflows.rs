//! Workflows on MySQL (see `store/workflows.rs`): JSON arrays in, as for a push; without
//! RETURNING, each change that must be read back is a locking read and an UPDATE.

use serde_json::json;
use sqlx::MySqlConnection;
use uuid::Uuid;

use super::{MySqlStore, batch};
use crate::error::Result;
use crate::store::rows;
use crate::store::workflows;
use crate::workflow::release::{self, Ended};
use crate::workflow::{ParentStep, PlannedWorkflow, WorkflowInfo};

/// `id` as MySQL stores it.
fn text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

impl MySqlStore {
    pub(crate) async fn push_workflow(&self, workflow: &PlannedWorkflow) -> Result<()> {
        let mut tx = self.begin().await?;
        self.push_workflow_on(&mut tx, workflow).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts a workflow on the caller's connection (inside its transaction).
    pub(crate) async fn push_workflow_on(
        &self,
        conn: &mut MySqlConnection,
        w: &PlannedWorkflow,
    ) -> Result<()> {
        self.insert_rows(conn, &w.rows).await?;
        let steps: Vec<_> = w
            .steps
            .iter()
            .map(|s| {
                json!({"id": text(s.command_id), "key": s.key, "role": s.role,
                       "waiting": s.waiting, "delay_us": s.delay_us})
            })
            .collect();
        let steps = batch::to_json(&steps)?;
        self.check_packet(conn, "workflow", &steps).await?;
        sqlx::query(self.sql.add_workflow_steps.clone())
            .bind(text(w.id))
            .bind(&w.name)
            .bind(&steps)
            .execute(&mut *conn)
            .await?;
        let edges: Vec<_> = w
            .edges
            .iter()
            .map(|e| {
                json!({"parent": text(e.parent_id), "child": text(e.child_id),
                       "policy": e.policy})
            })
            .collect();
        let edges = batch::to_json(&edges)?;
        self.check_packet(conn, "workflow", &edges).await?;
        sqlx::query(self.sql.add_workflow_edges.clone())
            .bind(edges)
            .execute(&mut *conn)
            .await?;
        sqlx::query(self.sql.mark_workflow_steps.clone())
            .bind(&steps)
            .bind(text(w.id))
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Counts the ends of `ended` in the steps that wait for them and releases those it
    /// completes, inside the finishing transaction.
    pub(crate) async fn release_on(
        &self,
        conn: &mut MySqlConnection,
        ended: &[Ended],
    ) -> Result<()> {
        let parents: Vec<_> = ended.iter().map(|e| json!({"id": text(e.id)})).collect();
        let parents = batch::to_json(&parents)?;
        let found = sqlx::query(self.sql.resolve_edges_lock.clone())
            .bind(&parents)
            .fetch_all(&mut *conn)
            .await?;
        let tallies = release::tally(ended, &rows::all(&found, workflows::resolved)?);
        if tallies.is_empty() {
            return Ok(());
        }
        sqlx::query(self.sql.resolve_edges.clone())
            .bind(&parents)
            .execute(&mut *conn)
            .await?;
        let counts: Vec<_> = tallies
            .iter()
            .map(|t| json!({"id": text(t.child_id), "ended": t.ended, "unmet": t.unmet}))
            .collect();
        let counts = batch::to_json(&counts)?;
        sqlx::query(self.sql.count_parents.clone())
            .bind(&counts)
            .execute(&mut *conn)
            .await?;
        let found = sqlx::query(self.sql.counted_steps.clone())
            .bind(&counts)
            .fetch_all(&mut *conn)
            .await?;
        let releases = release::releases(&tallies, &rows::all(&found, workflows::counted)?);
        if releases.is_empty() {
            return Ok(());
        }
        let releases: Vec<_> = releases
            .iter()
            .map(|r| {
                json!({"id": text(r.command_id), "delay_us": r.delay_us,
                       "cancel": i32::from(r.cancel)})
            })
            .collect();
        sqlx::query(self.sql.release_steps.clone())
            .bind(batch::to_json(&releases)?)
            .execute(conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn workflow(&self, id: Uuid) -> Result<Option<WorkflowInfo>> {
        let steps = sqlx::query(self.sql.workflow_steps.clone())
            .bind(text(id))
            .fetch_all(&self.pool)
            .await?;
        let edges = sqlx::query(self.sql.workflow_edges.clone())
            .bind(text(id))
            .fetch_all(&self.pool)
            .await?;
        Ok(workflows::assemble(
            id,
            rows::all(&steps, workflows::step)?,
            rows::all(&edges, workflows::edge)?,
        ))
    }

    pub(crate) async fn parents(&self, id: Uuid) -> Result<Vec<ParentStep>> {
        let found = sqlx::query(self.sql.parent_steps.clone())
            .bind(text(id))
            .fetch_all(&self.pool)
            .await?;
        rows::all(&found, workflows::parent)
    }

    pub(crate) async fn cancel_workflow(&self, id: Uuid) -> Result<Vec<(Uuid, bool)>> {
        let mut tx = self.begin().await?;
        let found = sqlx::query(self.sql.cancel_workflow_lock.clone())
            .bind(text(id))
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query(self.sql.cancel_workflow.clone())
            .bind(text(id))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        rows::all(&found, workflows::cancel_requested)
    }
}
