#pragma once
// The Jobs view: one row per job with its title, a progress bar, the stage
// text with ETA, and a Cancel button. A new preview replaces the previous
// preview's row.
#include <QHash>
#include <QWidget>

class QTreeWidget;
class QTreeWidgetItem;

namespace olv {

class Job;
class JobManager;

class JobListWidget : public QWidget {
    Q_OBJECT
public:
    explicit JobListWidget(JobManager* manager, QWidget* parent = nullptr);
    int rowCount() const;

private:
    void addJob(Job* job);
    void refresh(Job* job);
    QTreeWidget* m_tree;
    QHash<Job*, QTreeWidgetItem*> m_items;
    QTreeWidgetItem* m_transientItem = nullptr;
};

QString formatEta(double seconds);

} // namespace olv
