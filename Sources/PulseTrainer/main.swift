import Foundation
import PulseRuntime

WorkerMain.run(TrainerHandler(), environment: ProcessInfo.processInfo.environment, arguments: Array(CommandLine.arguments.dropFirst()))
