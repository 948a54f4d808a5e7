//! Workflows on SQLite (see `store/workflows.rs`): JSON arrays in, as for a push.

use serde_json::json;
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::{SqliteStore, guid};
use crate::error::Result;
use crate::store::rows;
use crate::store::workflows;
use crate::workflow::release::{self, Ended};
use crate::workflow::{ParentStep, PlannedWorkflow, WorkflowInfo};

impl SqliteStore {
    pub(crate) async fn push_workflow(&self, workflow: &PlannedWorkflow) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.push_workflow_on(&mut tx, workflow).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts a workflow on the caller's connection (inside its transaction).
    pub(crate) async fn push_workflow_on(
        &self,
        conn: &mut SqliteConnection,
        w: &PlannedWorkflow,
    ) -> Result<()> {
        self.insert_rows(conn, &w.rows).await?;
        let steps: Vec<_> = w
            .steps
            .iter()
            .map(|s| {
                json!({"id": guid::text(s.command_id), "key": s.key, "role": s.role,
                       "waiting": s.waiting, "delay_us": s.delay_us})
            })
            .collect();
        let steps = serde_json::Value::Array(steps).to_string();
        sqlx::query(self.sql.add_workflow_steps.clone())
            .bind(guid::text(w.id))
            .bind(&w.name)
            .bind(&steps)
            .execute(&mut *conn)
            .await?;
        let edges: Vec<_> = w
            .edges
            .iter()
            .map(|e| {
                json!({"parent": guid::text(e.parent_id), "child": guid::text(e.child_id),
                       "policy": e.policy})
            })
            .collect();
        sqlx::query(self.sql.add_workflow_edges.clone())
            .bind(serde_json::Value::Array(edges).to_string())
            .execute(&mut *conn)
            .await?;
        sqlx::query(self.sql.mark_workflow_steps.clone())
            .bind(guid::text(w.id))
            .bind(&steps)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Counts the ends of `ended` in the steps that wait for them and releases those it
    /// completes, inside the finishing transaction.
    pub(crate) async fn release_on(
        &self,
        conn: &mut SqliteConnection,
        ended: &[Ended],
    ) -> Result<()> {
        let parents: Vec<String> = ended.iter().map(|e| guid::text(e.id)).collect();
        let found = sqlx::query(self.sql.resolve_edges.clone())
            .bind(serde_json::to_string(&parents).unwrap_or_default())
            .fetch_all(&mut *conn)
            .await?;
        let tallies = release::tally(ended, &rows::all(&found, workflows::resolved)?);
        if tallies.is_empty() {
            return Ok(());
        }
        let counts: Vec<_> = tallies
            .iter()
            .map(|t| json!({"id": guid::text(t.child_id), "ended": t.ended, "unmet": t.unmet}))
            .collect();
        let found = sqlx::query(self.sql.count_parents.clone())
            .bind(serde_json::Value::Array(counts).to_string())
            .fetch_all(&mut *conn)
            .await?;
        let releases = release::releases(&tallies, &rows::all(&found, workflows::counted)?);
        if releases.is_empty() {
            return Ok(());
        }
        let releases: Vec<_> = releases
            .iter()
            .map(|r| {
                json!({"id": guid::text(r.command_id), "delay_us": r.delay_us,
                       "cancel": r.cancel})
            })
            .collect();
        sqlx::query(self.sql.release_steps.clone())
            .bind(serde_json::Value::Array(releases).to_string())
            .execute(conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn workflow(&self, id: Uuid) -> Result<Option<WorkflowInfo>> {
        let steps = sqlx::query(self.sql.workflow_steps.clone())
            .bind(guid::text(id))
            .fetch_all(&self.pool)
            .await?;
        let edges = sqlx::query(self.sql.workflow_edges.clone())
            .bind(guid::text(id))
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
            .bind(guid::text(id))
            .fetch_all(&self.pool)
            .await?;
        rows::all(&found, workflows::parent)
    }

    pub(crate) async fn cancel_workflow(&self, id: Uuid) -> Result<Vec<(Uuid, bool)>> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query(self.sql.cancel_workflow.clone())
            .bind(guid::text(id))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows::all(&found, workflows::cancel_requested)
    }
}
