// Tests of the run module's pure parts: when a run stops and with which exit code, and the
// progress line it logs.
#include <gtest/gtest.h>

#include <csignal>
#include <limits>
#include <string>

#include "spiral/core/signals.h"
#include "spiral/run/budget.h"
#include "spiral/run/report.h"

namespace spiral::run {
namespace {

TEST(Budget, ALimitIsDueWhenTheNextUpdateWouldReachIt) {
  EXPECT_FALSE(limit_due(0, 1e9, 1e9));  // 0: no limit
  EXPECT_FALSE(limit_due(100, 90, 5));
  EXPECT_TRUE(limit_due(100, 96, 5));
  EXPECT_TRUE(limit_due(100, 100, 0));
}

TEST(Budget, SpentIsTheLargerShareOfFramesAndDuration) {
  const Budget frames_only{1000, 0, 0};
  EXPECT_DOUBLE_EQ(budget_spent(frames_only, 250, 1e6), 0.25);
  const Budget with_duration{1000, 600, 0};
  EXPECT_DOUBLE_EQ(budget_spent(with_duration, 250, 300), 0.5);
  EXPECT_DOUBLE_EQ(budget_spent(with_duration, 800, 300), 0.8);
}

TEST(Budget, SecondsToEndAreTheFirstLimitReached) {
  // 1000 frames left at 10 frames/s: 100 s, unless the duration or this start's limit is sooner.
  EXPECT_DOUBLE_EQ(seconds_to_end({2000, 0, 0}, 1000, 10, 0, 0), 100);
  EXPECT_DOUBLE_EQ(seconds_to_end({2000, 500, 0}, 1000, 10, 450, 50), 50);
  EXPECT_DOUBLE_EQ(seconds_to_end({2000, 0, 60}, 1000, 10, 450, 50), 10);
  EXPECT_DOUBLE_EQ(seconds_to_end({2000, 400, 0}, 1000, 10, 450, 50), 0);  // already past
}

TEST(Budget, ExitCodesAskForARequeueOnlyWhenTrainingIsLeft) {
  EXPECT_EQ(stop_exit_code(StopReason::kFrames, 0), 0);
  EXPECT_EQ(stop_exit_code(StopReason::kDuration, 0), 0);
  EXPECT_EQ(stop_exit_code(StopReason::kTimeLimit, 0), kCheckpointedExitCode);
  EXPECT_EQ(stop_exit_code(StopReason::kSignal, SIGINT), 0);
  EXPECT_EQ(stop_exit_code(StopReason::kSignal, SIGTERM), kCheckpointedExitCode);
  EXPECT_EQ(stop_exit_code(StopReason::kSignal, SIGUSR1), kCheckpointedExitCode);
}

TEST(Budget, StopMessagesNameTheReasonAndTheRequeue) {
  const Budget budget{5000, 660, 3600};
  EXPECT_EQ(stop_message(StopReason::kFrames, 0, budget, 5000),
            "stopped by --frames: 5000 frames trained");
  EXPECT_EQ(stop_message(StopReason::kDuration, 0, budget, 1200),
            "stopped by --duration (660 s of training) after 1200 of 5000 frames");
  EXPECT_EQ(stop_message(StopReason::kTimeLimit, 0, budget, 1200),
            "stopped by --time-limit (3600 s for this start) after 1200 of 5000 frames; exit "
            "code 3 asks for a requeue with --resume auto");
  EXPECT_EQ(limit_text(0), "none");
}

TEST(Report, ProgressLineShowsWhatTheRunHas) {
  Progress progress;
  progress.frames = 3200;
  progress.fps = 99.6;
  progress.stats.policy_loss = -0.5;
  progress.stats.value_loss = 0.25;
  progress.stats.entropy = 12;
  progress.stats.reward = 0.125;
  progress.stats.discriminator_loss = std::numeric_limits<double>::quiet_NaN();  // an L2 run
  progress.policy_lr = std::numeric_limits<double>::quiet_NaN();                 // no decay
  progress.held.mse = 0.05;
  progress.held.blank_mse = 0.1;
  progress.elapsed = 65;
  progress.eta = 3600;
  const std::string line = progress_line(progress);
  EXPECT_EQ(line.rfind("frames 3200 frames/s 100 policy_loss -0.5 value_loss 0.25 entropy 12 "
                       "reward 0.125 held_out_mse 0.05 (0.50x blank) elapsed ",
                       0),
            0u)
      << line;
  EXPECT_EQ(line.find("D_loss"), std::string::npos);
  EXPECT_EQ(line.find("hindsight_loss"), std::string::npos);
  EXPECT_EQ(line.find("policy_lr"), std::string::npos);
  EXPECT_EQ(line.find(" | produced"), std::string::npos);
  EXPECT_EQ(mse_beside_start(progress.held), "0.05 (blank canvas 0.1)");

  // A resumed run has not evaluated yet: no figure, rather than nan.
  Progress resumed = progress;
  resumed.held.mse = resumed.held.blank_mse = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(progress_line(resumed).find(" reward 0.125 held_out_mse - elapsed "), std::string::npos)
      << progress_line(resumed);

  // Hindsight alone (--reward none): no advantage moves the policy, and the lesson's loss shows.
  progress.stats.policy_loss = -0.0;
  progress.stats.hindsight_loss = 1.5;
  EXPECT_NE(progress_line(progress).find(" policy_loss 0 value_loss 0.25 entropy 12 "
                                         "hindsight_loss 1.5 reward "),
            std::string::npos)
      << progress_line(progress);

  // A scene builder's episodes start from the empty floor, and its figures say so.
  progress.held.empty_floor = true;
  EXPECT_NE(progress_line(progress).find(" held_out_mse 0.05 (0.50x floor) "), std::string::npos);
  EXPECT_EQ(mse_beside_start(progress.held), "0.05 (empty floor 0.1)");
  EXPECT_EQ(evaluation_text(true, progress.held), "held-out MSE 0.05 (empty floor 0.1)");

  progress.stats.discriminator_loss = -1.5;
  progress.policy_lr = 0.0005;
  progress.conditional = false;
  FlowStats flow;
  flow.holders.queued = 7;
  flow.lag_mean = 1.23456;
  flow.total_wait_seconds = 13;
  progress.flow = &flow;
  progress.produced = 4000;
  const std::string async_line = progress_line(progress);
  EXPECT_NE(async_line.find(" policy_lr 0.0005 D_loss -1.5 reward "), std::string::npos)
      << async_line;
  EXPECT_NE(async_line.find(" samples - elapsed "), std::string::npos) << async_line;
  EXPECT_NE(async_line.find(" | produced 4000 queue 7 lag 1.23 waiting 20%"), std::string::npos)
      << async_line;
}

}  // namespace
}  // namespace spiral::run
